#include "s3merge/gen/cloudtrail.hpp"

#include "engine/json_writer.hpp"
#include "s3merge/crypto.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <new>

namespace s3merge::gen {

namespace {

// splitmix64: a small, well-mixed deterministic generator.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Days since 1970-01-01 for a civil date, and back (Howard Hinnant).
long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
void civil_from_days(long z, int& y, int& m, int& d) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    d = int(doy - (153 * mp + 2) / 5 + 1);
    m = int(mp < 10 ? mp + 3 : mp - 9);
    y = int(yy + (m <= 2));
}

std::string uuid_from(std::uint64_t a, std::uint64_t b) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", unsigned(a >> 32),
                  unsigned((a >> 16) & 0xffff), unsigned(a & 0xfff), unsigned(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffull));
    return buf;
}

const char* const event_sources[] = {"s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com",
                                     "sts.amazonaws.com", "kms.amazonaws.com"};
const char* const event_names[] = {"GetObject", "DescribeInstances", "ListRoles", "AssumeRole", "Decrypt"};

}  // namespace

generated_object cloudtrail_object(const cloudtrail_series& s, std::uint64_t i) {
    const std::uint64_t h =
        mix(s.seed ^ mix(i + 1) ^ mix(std::hash<std::string>{}(s.account + "/" + s.region)));
    const int per_day = s.files_per_day > 0 ? s.files_per_day : 1;
    const long day = days_from_civil(s.start_year, s.start_month, s.start_day) + long(i / per_day);
    const long minute_of_day = long((i % per_day) * (1440 / std::max(1, std::min(per_day, 1440))));
    int y, m, d;
    civil_from_days(day, y, m, d);
    const int hh = int(minute_of_day / 60), mm = int(minute_of_day % 60);
    char stamp[32], date_path[16];
    std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02dZ", y, m, d, hh, mm);
    std::snprintf(date_path, sizeof date_path, "%04d/%02d/%02d", y, m, d);
    char suffix[20];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(h));

    generated_object o;
    o.key = s.prefix + "AWSLogs/" + s.account + "/CloudTrail/" + s.region + "/" + date_path + "/" +
            s.account + "_CloudTrail_" + s.region + "_" + stamp + "_" + suffix + ".json.gz";

    std::string json = "{\"Records\":[";
    for (int r = 0; r < s.records_per_file; ++r) {
        std::uint64_t rh = mix(h + std::uint64_t(r) * 0x51ed2701ull);
        char when[32];
        std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, hh, mm, r % 60);
        if (r) json += ',';
        json += "{\"eventVersion\":\"1.08\",\"eventTime\":\"";
        json += when;
        json += "\",\"eventSource\":\"";
        json += event_sources[rh % 5];
        json += "\",\"eventName\":\"";
        json += event_names[(rh >> 8) % 5];
        json += "\",\"awsRegion\":\"" + s.region + "\",\"sourceIPAddress\":\"10.0.";
        json += std::to_string((rh >> 16) % 256) + "." + std::to_string((rh >> 24) % 256);
        json += "\",\"eventID\":\"" + uuid_from(rh, mix(rh ^ i)) + "\",\"recipientAccountId\":\"" +
                s.account + "\"}";
    }
    json += "]}";
    o.body = gzip(json);
    return o;
}

bool cloudtrail_digests(const cloudtrail_series& s, std::uint64_t count, const digest_options& d,
                        std::vector<generated_digest>& out, std::string& public_key_der,
                        std::string& fingerprint) {
    out.clear();
    // The key first: its fingerprint goes into every digest.
    std::string probe_sig;
    if (!crypto::rsa_sha256_sign(d.private_key_pem, "probe", probe_sig, public_key_der)) return false;
    fingerprint = crypto::md5_hex(public_key_der);
    // Objects by hour, in order (a series' times only go forward).
    struct hour {
        std::string stamp;                                       // YYYYMMDDTHH
        std::vector<std::pair<std::string, std::string>> files;  // key, SHA-256 of the uncompressed body
    };
    std::vector<hour> hours;
    for (std::uint64_t i = 0; i < count; ++i) {
        auto o = cloudtrail_object(s, i);
        const std::string marker = "_CloudTrail_" + s.region + "_";
        const auto at = o.key.rfind(marker);
        const std::string stamp = o.key.substr(at + marker.size(), 11);  // YYYYMMDDTHH
        std::string plain;
        (void)gunzip(o.body, plain);
        if (hours.empty() || hours.back().stamp != stamp) hours.push_back({stamp, {}});
        hours.back().files.emplace_back(o.key, crypto::sha256_hex(plain));
    }
    std::string prev_key, prev_hash, prev_sig;
    for (const auto& h : hours) {
        const std::string y = h.stamp.substr(0, 4), m = h.stamp.substr(4, 2), dd = h.stamp.substr(6, 2),
                          hh = h.stamp.substr(9, 2);
        const std::string start = y + "-" + m + "-" + dd + "T" + hh + ":00:00Z";
        const std::string end = y + "-" + m + "-" + dd + "T" + hh + ":59:59Z";
        generated_digest g;
        g.key = s.prefix + "AWSLogs/" + s.account + "/CloudTrail-Digest/" + s.region + "/" + y + "/" + m +
                "/" + dd + "/" + s.account + "_CloudTrail-Digest_" + s.region + "_" + d.trail + "_" +
                s.region + "_" + y + m + dd + "T" + hh + "5959Z.json.gz";
        engine::json_writer w;
        w.begin_object();
        w.field("awsAccountId", s.account);
        w.field("digestStartTime", start);
        w.field("digestEndTime", end);
        w.field("digestS3Bucket", d.bucket);
        w.field("digestS3Object", g.key);
        w.field("digestPublicKeyFingerprint", fingerprint);
        w.field("digestSignatureAlgorithm", "SHA256withRSA");
        w.field("newestEventTime", end);
        w.field("oldestEventTime", start);
        for (const char* f : {"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue",
                              "previousDigestHashAlgorithm", "previousDigestSignature"}) {
            w.key(f);
            if (prev_key.empty()) {
                w.null_value();
                continue;
            }
            const std::string_view name = f;
            w.string_value(name == "previousDigestS3Bucket"        ? d.bucket
                           : name == "previousDigestS3Object"      ? prev_key
                           : name == "previousDigestHashValue"     ? prev_hash
                           : name == "previousDigestHashAlgorithm" ? std::string("SHA-256")
                                                                   : prev_sig);
        }
        w.key("logFiles");
        w.begin_array();
        for (const auto& [key, sha] : h.files) {
            w.begin_object();
            w.field("s3Bucket", d.bucket);
            w.field("s3Object", key);
            w.field("hashValue", sha);
            w.field("hashAlgorithm", "SHA-256");
            w.field("newestEventTime", end);
            w.field("oldestEventTime", start);
            w.end_object();
        }
        w.end_array();
        w.end_object();
        const std::string json = w.take();
        const std::string sha = crypto::sha256_hex(json);
        // The signing string, as cloudtrail/digest.hpp documents it.
        const std::string to_sign =
            end + "\n" + d.bucket + "/" + g.key + "\n" + sha + "\n" + (prev_sig.empty() ? "null" : prev_sig);
        std::string raw, der;
        if (!crypto::rsa_sha256_sign(d.private_key_pem, to_sign, raw, der)) return false;
        g.signature_hex = crypto::hex(raw);
        g.body = gzip(json);
        prev_key = g.key;
        prev_hash = sha;
        prev_sig = g.signature_hex;
        out.push_back(std::move(g));
    }
    return true;
}

std::vector<generated_object> all_region_overlap(const cloudtrail_series& s, std::uint64_t count,
                                                 const std::vector<std::string>& days,
                                                 const std::string& dest_prefix, overlap_truth& truth) {
    truth = overlap_truth{};
    std::vector<generated_object> out;
    for (const auto& day : days) {
        const std::string dir = "AWSLogs/" + s.account + "/CloudTrail/" + s.region + "/" + day + "/";
        std::string records;
        int index = 0;
        for (std::uint64_t i = 0; i < count; ++i) {
            auto o = cloudtrail_object(s, i);
            if (o.key.compare(s.prefix.size(), dir.size(), dir) != 0) continue;
            std::string json;
            (void)gunzip(o.body, json);
            // The generator's records are flat objects: split between them.
            std::vector<std::string> rs;
            const std::string body = json.substr(12, json.size() - 14);  // inside {"Records":[ ... ]}
            for (std::size_t at = 0; at < body.size();) {
                std::size_t end = body.find("},{", at);
                end = end == std::string::npos ? body.size() : end + 1;
                rs.push_back(body.substr(at, end - at));
                at = end + 1;
            }
            const std::size_t take = index % 2 == 0 ? rs.size() : rs.size() / 2;
            (index % 2 == 0 ? truth.full_files : truth.partial_files) += 1;
            truth.duplicate_events += take;
            for (std::size_t k = 0; k < take; ++k) records += (records.empty() ? "" : ",") + rs[k];
            ++index;
        }
        if (index == 0) continue;
        std::string stamp = day;
        stamp.erase(std::remove(stamp.begin(), stamp.end(), '/'), stamp.end());
        generated_object g;
        g.key = dest_prefix + dir + s.account + "_CloudTrail_" + s.region + "_" + stamp +
                "T2359Z_allregion.json.gz";
        g.body = gzip("{\"Records\":[" + records + "]}");
        out.push_back(std::move(g));
    }
    return out;
}

std::string gzip(std::string_view data) {
    z_stream zs{};
    // windowBits 15 + 16: a gzip header with mtime 0 (deterministic).
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::bad_alloc();
    return out;
}

bool gunzip(std::string_view data, std::string& out, std::size_t max_out) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
    out.clear();
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) break;
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > max_out) {
            rc = Z_DATA_ERROR;
            break;
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            rc = Z_DATA_ERROR;  // truncated input
            break;
        }
    }
    inflateEnd(&zs);
    return rc == Z_STREAM_END;
}

}  // namespace s3merge::gen
