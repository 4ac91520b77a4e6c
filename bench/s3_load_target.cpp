// s3-load-target: a LOAD TARGET for benchmarks, not an S3 implementation.
// It answers the requests an S3 copy job makes (HeadBucket,
// GetBucketVersioning, ListObjectsV2, CopyObject, DeleteObjects, DeleteObject,
// HeadObject)
// for a generated key space, with a latency knob and S3's request-rate model
// (bench/model: 3,500 writes and 5,500 reads a second per partition, 503
// SlowDown beyond, splits under sustained load), and stores only what it
// must: one bit per source key copied and one deleted, so it checks the
// job's completeness itself at the end. No signature is checked.
//
// Buckets: SRC holds N generated keys (CloudTrail layout over R regions, or
// flat "obj-%010u"); DST starts empty and holds what was copied (the same
// keys). One epoll thread, non-blocking sockets, keep-alive, HTTP/1.1;
// TLS (OpenSSL, non-blocking) with --tls-cert/--tls-key.
//
// Usage: s3-load-target --port P [--objects N] [--layout cloudtrail|flat]
//          [--regions R] [--latency-ms L] [--latency-jitter-ms J]
//          [--model on|off] [--split-after S] [--src B] [--dst B]
//          [--tls-cert PEM --tls-key PEM] [--timeline CSV [--timeline-step-ms MS]]
//          [--write-copy-requests FILE]  (writes a CopyObject per key, exits)
// Prints "port P" first; on SIGINT/SIGTERM (or --exit-when-done once every
// key is copied) a summary: requests by operation, throttled, copied,
// missing, copied twice, deleted, CPU per request and the model's optimum;
// with --timeline, per second (or per --timeline-step-ms): requests,
// throttled, copies, keys deleted, and the destination's partitions (the
// model's, at the end of the second).
#include <arpa/inet.h>
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "copy_request.hpp"
#include "model/s3_model.hpp"

namespace {

volatile std::sig_atomic_t stop_flag = 0;
void on_signal(int) {
    stop_flag = 1;
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- the key space ------------------------------------------------------

const char* const region_names[] = {"af-south-1",   "ap-east-1",      "ap-northeast-1", "ap-northeast-2",
                                    "ap-south-1",   "ap-southeast-1", "ap-southeast-2", "ca-central-1",
                                    "eu-central-1", "eu-north-1",     "eu-west-1",      "eu-west-2",
                                    "eu-west-3",    "sa-east-1",      "us-east-1",      "us-west-2"};

struct key_space {
    std::uint64_t n = 0;
    bool flat = false;
    unsigned regions = 16;
    std::uint64_t per_day = 288;

    // Keys in index order sort in byte order: region (sorted), day, sequence.
    std::string key(std::uint64_t i) const {
        std::string k;
        key_into(i, k);
        return k;
    }
    // The same into a buffer: listings build a key per entry, so the part a
    // day's keys share is formatted once per day.
    void key_into(std::uint64_t i, std::string& out) const {
        if (flat) {
            out.assign("obj-");
            append_digits(out, i, 10);
            return;
        }
        const std::uint64_t per_region = (n + regions - 1) / regions;
        const unsigned r = unsigned(i / per_region);
        const std::uint64_t j = i % per_region;
        const std::uint64_t day = j / per_day;
        // One formatted head per region: copies from 16 regions interleave.
        auto& [cached_day, cached_head] = heads[r % heads.size()];
        if (day != cached_day || cached_head.empty()) {
            // Day d counts from 2024-01-01 in a 28-day month calendar: YYYY/MM/DD.
            const unsigned y = 2024 + unsigned(day / (12 * 28)), m = 1 + unsigned(day / 28 % 12),
                           d = 1 + unsigned(day % 28);
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          "AWSLogs/123456789012/CloudTrail/%s/%04u/%02u/%02u/"
                          "123456789012_CloudTrail_%s_%04u%02u%02uT0000Z_",
                          region_names[r], y, m, d, region_names[r], y, m, d);
            cached_head = buf;
            cached_day = day;
        }
        out.assign(cached_head);
        append_digits(out, i, 8);
        out.append(".json.gz");
    }
    static void append_digits(std::string& out, std::uint64_t v, int width) {
        char d[20];
        int n = 0;
        do {
            d[n++] = char('0' + v % 10);
            v /= 10;
        } while (v && n < 20);
        for (int k = n; k < width; ++k) out.push_back('0');
        while (n) out.push_back(d[--n]);
    }
    mutable std::array<std::pair<std::uint64_t, std::string>, 16> heads;
    mutable std::string scratch;  // index_of's key, reused
    // The index of a key of this space, or n.
    std::uint64_t index_of(std::string_view k) const {
        const auto digits =
            flat ? k.substr(std::min<std::size_t>(k.size(), 4)) : k.substr(k.rfind('_') + 1, 8);
        std::uint64_t i = n;
        std::from_chars(digits.data(), digits.data() + digits.size(), i);
        if (i >= n) return n;
        key_into(i, scratch);
        return scratch == k ? i : n;
    }
    // The first index whose key is >= k (or > k when strictly).
    std::uint64_t lower_bound(std::string_view k, bool strictly) const {
        std::uint64_t lo = 0, hi = n;
        while (lo < hi) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            const std::string km = key(mid);
            if (strictly ? std::string_view(km) <= k : std::string_view(km) < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
};

struct bitmap {
    std::vector<std::uint64_t> words;
    explicit bitmap(std::uint64_t n = 0) : words((n + 63) / 64) {}
    bool test(std::uint64_t i) const { return (words[i / 64] >> (i % 64)) & 1; }
    bool set(std::uint64_t i) {  // true if it was clear
        const bool was = test(i);
        words[i / 64] |= std::uint64_t(1) << (i % 64);
        return !was;
    }
    std::uint64_t count() const {
        std::uint64_t c = 0;
        for (auto w : words) c += std::uint64_t(__builtin_popcountll(w));
        return c;
    }
};

// ---- HTTP -----------------------------------------------------------------

struct request {
    std::string_view method, target;
    std::string_view copy_source;
    std::size_t content_length = 0;
};

std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto hex = [](char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

void url_encode_into(std::string& out, std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    static const auto safe = [] {
        std::array<bool, 256> t{};
        for (int c = 0; c < 256; ++c)
            t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || c == '.' || c == '~' || c == '/';
        return t;
    }();
    // Runs of safe bytes are appended at once.
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = i;
        while (j < s.size() && safe[static_cast<unsigned char>(s[j])]) ++j;
        out.append(s.data() + i, j - i);
        if (j == s.size()) break;
        const auto c = static_cast<unsigned char>(s[j]);
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
        i = j + 1;
    }
}

std::map<std::string, std::string> parse_query(std::string_view q) {
    std::map<std::string, std::string> out;
    while (!q.empty()) {
        auto amp = q.find('&');
        auto part = q.substr(0, amp);
        auto eq = part.find('=');
        out[url_decode(part.substr(0, eq))] =
            eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return out;
}

struct response {
    int status = 200;
    std::string headers;  // extra header lines
    std::string body;
    bool head = false;
    std::size_t head_length = 0;       // HEAD: the Content-Length of the object, no body built
    const std::string* raw = nullptr;  // or the whole answer, built once
};

std::string serialize(const response& r) {
    const char* reason = r.status == 200   ? "OK"
                         : r.status == 404 ? "Not Found"
                         : r.status == 503 ? "Slow Down"
                                           : "Error";
    char line[160];
    std::snprintf(line, sizeof line,
                  "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nx-amz-request-id: LOADTARGET\r\n", r.status,
                  reason, r.head && r.head_length ? r.head_length : r.body.size());
    std::string out;
    out.reserve(std::strlen(line) + r.headers.size() + 2 + (r.head ? 0 : r.body.size()));
    out += line;
    out += r.headers;
    out += "\r\n";
    if (!r.head) out += r.body;
    return out;
}

const char* etag_of_source = "\"0123456789abcdef0123456789abcdef\"";
constexpr std::uint64_t object_size = 4096;

// The operations counted, in the order the summary names them.
enum op : unsigned {
    op_copy,
    op_delete_object,
    op_delete_objects,
    op_versioning,
    op_head_bucket,
    op_head_object,
    op_list,
    op_count
};
const char* const op_names[op_count] = {"CopyObject", "DeleteObject", "DeleteObjects", "GetBucketVersioning",
                                        "HeadBucket", "HeadObject",   "ListObjectsV2"};

struct target_state {
    key_space keys;
    std::string src, dst;
    bitmap copied, deleted;
    std::uint64_t copied_twice = 0;
    std::uint64_t not_implemented = 0;
    std::array<std::uint64_t, op_count> ops{};
    std::uint64_t throttled = 0, requests = 0;
    bool model_on = true;
    // One model per bucket: S3 partitions each bucket's key space on its own.
    s3bench::rate_model model{s3bench::model_params{}}, src_model{s3bench::model_params{}};
    std::uint64_t deleted_total = 0;
    double started = 0;

    bool admit(std::string_view bucket, std::string_view key, s3bench::request_kind kind, double t) {
        if (!model_on) return true;
        return (bucket == dst ? model : src_model).admit(key, kind, t - started);
    }
    void delete_key(std::string_view bucket, std::uint64_t i) {
        if (i < keys.n && bucket == src && deleted.set(i)) ++deleted_total;
    }

    response slow_down() {
        ++throttled;
        response r;
        r.status = 503;
        r.body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        return r;
    }

    response list(std::string_view bucket, const std::map<std::string, std::string>& q) {
        ++ops[op_list];
        const bool dest = bucket == dst;
        auto get = [&](const char* k) {
            auto it = q.find(k);
            return it == q.end() ? std::string() : it->second;
        };
        const std::string prefix = get("prefix"), delim = get("delimiter"), token = get("continuation-token");
        const std::string after = get("start-after");
        std::uint64_t max_keys = 1000;
        if (auto mk = get("max-keys"); !mk.empty())
            max_keys = std::min<std::uint64_t>(1000, std::strtoull(mk.c_str(), nullptr, 10));
        const bool url = get("encoding-type") == "url";
        // The continuation token is the index to go on from (opaque to clients).
        std::uint64_t i = !token.empty()
                              ? std::strtoull(token.c_str(), nullptr, 10)
                              : keys.lower_bound(std::max(prefix, after), !after.empty() && after >= prefix);
        // One buffer, written once: the entries go straight after the head
        // and the counts after them (XML readers take elements by name).
        std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>";
        body.reserve(std::size_t(std::min<std::uint64_t>(max_keys, 1000)) * 320 + 512);
        body += bucket;
        body += "</Name><Prefix>";
        body += prefix;
        body += "</Prefix>";
        std::uint64_t count = 0;
        std::string k;
        while (i < keys.n && count < max_keys) {
            keys.key_into(i, k);
            if (k.compare(0, prefix.size(), prefix) != 0) break;
            if (!delim.empty()) {
                auto d = k.find(delim, prefix.size());
                if (d != std::string::npos) {
                    std::string cp = k.substr(0, d + delim.size());
                    body += "<CommonPrefixes><Prefix>";
                    if (url)
                        url_encode_into(body, cp);
                    else
                        body += cp;
                    body += "</Prefix></CommonPrefixes>";
                    ++count;
                    std::string next = cp;
                    next.back() = char(next.back() + 1);
                    i = keys.lower_bound(next, false);
                    continue;
                }
            }
            const bool exists = dest ? copied.test(i) : !deleted.test(i);
            if (exists) {
                body += "<Contents><Key>";
                if (url)
                    url_encode_into(body, k);
                else
                    body += k;
                body +=
                    "</Key><LastModified>2024-01-01T00:00:00.000Z</"
                    "LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>4096</"
                    "Size><StorageClass>STANDARD</StorageClass></Contents>";
                ++count;
            }
            ++i;
        }
        const bool truncated =
            count >= max_keys && i < keys.n && keys.key(i).compare(0, prefix.size(), prefix) == 0;
        body += "<KeyCount>" + std::to_string(count) + "</KeyCount><MaxKeys>" + std::to_string(max_keys) +
                "</MaxKeys>";
        if (!delim.empty()) body += "<Delimiter>" + delim + "</Delimiter>";
        if (url) body += "<EncodingType>url</EncodingType>";
        body += truncated ? "<IsTruncated>true</IsTruncated>" : "<IsTruncated>false</IsTruncated>";
        if (truncated) body += "<NextContinuationToken>" + std::to_string(i) + "</NextContinuationToken>";
        body += "</ListBucketResult>";
        response r;
        r.body = std::move(body);
        r.headers = "Content-Type: application/xml\r\n";
        return r;
    }

    // Request paths are decoded only when they hold an escape, into a
    // buffer kept from one request to the next.
    std::string path_buf, source_buf;
    static std::string_view decoded(std::string_view s, std::string& buf) {
        if (s.find('%') == std::string_view::npos) return s;
        buf = url_decode(s);
        return buf;
    }

    response handle(const request& rq, std::string_view body, double t) {
        ++requests;
        std::string_view target = rq.target;
        std::string_view query;
        if (auto qm = target.find('?'); qm != std::string_view::npos)
            query = target.substr(qm + 1), target = target.substr(0, qm);
        const std::string_view path = decoded(target.substr(1), path_buf);
        const auto slash = path.find('/');
        const std::string_view bucket = path.substr(0, slash);
        const std::string_view key =
            slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
        const auto q = parse_query(query);
        response r;
        if (bucket != src && bucket != dst) {
            r.status = 404;
            r.body = "<Error><Code>NoSuchBucket</Code><Message>" + std::string(bucket) + "</Message></Error>";
            return r;
        }
        if (key.empty()) {
            if (rq.method == "HEAD") {
                ++ops[op_head_bucket];
                r.head = true;
                r.headers = "x-amz-bucket-region: us-east-1\r\n";
                return r;
            }
            if (rq.method == "GET" && q.count("versioning")) {
                ++ops[op_versioning];
                r.body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
                return r;
            }
            if (rq.method == "GET" && q.count("list-type")) {
                if (!admit(bucket, q.count("prefix") ? q.at("prefix") : "", s3bench::request_kind::read, t))
                    return slow_down();
                return list(bucket, q);
            }
            if (rq.method == "POST" && q.count("delete")) {
                ++ops[op_delete_objects];
                std::string out = "<DeleteResult>";
                for (std::size_t pos = 0; (pos = body.find("<Key>", pos)) != std::string_view::npos;) {
                    const auto end = body.find("</Key>", pos);
                    std::string k(body.substr(pos + 5, end - pos - 5));
                    // XML entities a client escapes in keys.
                    for (auto [ent, ch] : {std::pair{"&amp;", "&"}, std::pair{"&lt;", "<"},
                                           std::pair{"&gt;", ">"}, std::pair{"&quot;", "\""}})
                        for (std::size_t at; (at = k.find(ent)) != std::string::npos;)
                            k.replace(at, std::strlen(ent), ch);
                    if (!admit(bucket, k, s3bench::request_kind::write, t)) {
                        out +=
                            "<Error><Key>" + k +
                            "</Key><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
                    } else {
                        delete_key(bucket, keys.index_of(k));
                        out += "<Deleted><Key>" + k + "</Key></Deleted>";
                    }
                    pos = end;
                }
                r.body = out + "</DeleteResult>";
                return r;
            }
            r.status = 400;
            r.body =
                "<Error><Code>NotImplemented</Code><Message>the load target does not do "
                "this</Message></Error>";
            return r;
        }
        const auto i = keys.index_of(key);
        if (rq.method == "HEAD") {
            ++ops[op_head_object];
            if (!admit(bucket, key, s3bench::request_kind::read, t)) return slow_down();
            const bool exists = i < keys.n && (bucket == dst ? copied.test(i) : !deleted.test(i));
            r.head = true;
            if (!exists) {
                r.status = 404;
                return r;
            }
            r.headers = std::string("ETag: ") + etag_of_source + "\r\n";
            r.head_length = object_size;
            return r;
        }
        if (rq.method == "DELETE") {
            ++ops[op_delete_object];
            if (!admit(bucket, key, s3bench::request_kind::write, t)) return slow_down();
            delete_key(bucket, i);
            r.status = 204;
            return r;
        }
        if (rq.method == "PUT" && !rq.copy_source.empty()) {
            ++ops[op_copy];
            if (!admit(bucket, key, s3bench::request_kind::write, t)) return slow_down();
            std::string_view src_path = decoded(rq.copy_source, source_buf);
            if (!src_path.empty() && src_path[0] == '/') src_path.remove_prefix(1);
            const auto s = src_path.find('/');
            const auto si = s == std::string_view::npos ? keys.n : keys.index_of(src_path.substr(s + 1));
            if (si >= keys.n || deleted.test(si)) {
                r.status = 404;
                r.body =
                    "<Error><Code>NoSuchKey</Code><Message>" + std::string(src_path) + "</Message></Error>";
                return r;
            }
            if (!copied.set(si)) ++copied_twice;
            // Every copy's answer is the same bytes: built once.
            static const std::string copied_answer = [] {
                response ok;
                ok.body =
                    "<CopyObjectResult><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"
                    "&quot;0123456789abcdef0123456789abcdef&quot;</ETag></CopyObjectResult>";
                return serialize(ok);
            }();
            r.raw = &copied_answer;
            return r;
        }
        r.status = 400;
        r.body =
            "<Error><Code>NotImplemented</Code><Message>the load target does not do this</Message></Error>";
        if (++not_implemented <= 5)
            std::fprintf(stderr, "s3-load-target: not implemented: %.*s %.*s\n", int(rq.method.size()),
                         rq.method.data(), int(rq.target.size()), rq.target.data());
        return r;
    }
};

struct connection {
    int fd = -1;
    SSL* ssl = nullptr;  // TLS, or plain
    std::string in, out;
    std::size_t out_sent = 0;
    bool pending = false;  // a response delayed by the latency knob
    bool open = true;
    unsigned events = EPOLLIN;  // what epoll watches for it now
};

struct delayed {
    double due;
    int fd;
    std::string bytes;
    const std::string* raw = nullptr;  // an answer built once, instead of `bytes`
    bool operator>(const delayed& o) const { return due > o.due; }
};

// ASCII case-insensitive equality (header names), with no copy.
bool iequals(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

// One complete request at the front of `in`: its length, or 0 (need more).
std::size_t parse_request(std::string_view in, request& rq, std::string_view& body) {
    const auto end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    std::string_view head = in.substr(0, end);
    const auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    rq = request{};
    rq.method = line.substr(0, sp1);
    rq.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    for (std::size_t pos = line_end; pos != std::string_view::npos && pos < head.size();) {
        const auto next = head.find("\r\n", pos + 2);
        std::string_view h =
            head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
        const auto colon = h.find(':');
        if (colon != std::string_view::npos) {
            const std::string_view name = h.substr(0, colon);
            std::string_view value = h.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            if (iequals(name, "content-length")) {
                rq.content_length = 0;
                std::from_chars(value.data(), value.data() + value.size(), rq.content_length);
            }
            if (iequals(name, "x-amz-copy-source")) rq.copy_source = value;
        }
        pos = next;
    }
    const std::size_t total = end + 4 + rq.content_length;
    if (in.size() < total) return 0;
    body = in.substr(end + 4, rq.content_length);
    return total;
}

// --write-copy-requests: a CopyObject request for each key of the space,
// from the source bucket into the destination, as raw HTTP one after the
// other (each ends with an empty line; bench/copy_request.hpp). Replayed by
// bench/transport-floor (TRANSPORT_FLOOR_REQUESTS), they drive the target
// at its own ceiling.
bool write_copy_requests(const target_state& st, const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "s3-load-target: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
        return false;
    }
    std::string k, enc;
    char req[4096];
    bool ok = true;
    for (std::uint64_t i = 0; ok && i < st.keys.n; ++i) {
        st.keys.key_into(i, k);
        enc.clear();
        url_encode_into(enc, k);
        const std::size_t n = s3bench::format_copy_request(req, sizeof req, "localhost", st.dst.c_str(),
                                                           st.src.c_str(), enc.c_str());
        ok = n < sizeof req && std::fwrite(req, 1, n, f) == n;
    }
    if (!ok) std::fprintf(stderr, "s3-load-target: cannot write %s\n", path.c_str());
    return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    // Listing answers are ~300 KB: from the heap, reused, rather than a
    // fresh mapping (and its page faults) per answer.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    int port = 0;
    target_state st;
    st.keys.n = 100000;
    st.src = "load-src";
    st.dst = "load-dst";
    double latency_ms = 0, jitter_ms = 0, timeline_step_s = 1;
    bool exit_when_done = false;
    std::string tls_cert, tls_key, timeline_path, requests_path;
    // Per second since the first request: requests, throttled, copies, keys
    // deleted, the destination's partitions.
    std::vector<std::array<std::uint64_t, 5>> timeline;
    s3bench::model_params mp;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--port")
            port = std::atoi(next().c_str());
        else if (a == "--objects")
            st.keys.n = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "--layout")
            st.keys.flat = next() == "flat";
        else if (a == "--regions")
            st.keys.regions = unsigned(std::clamp(std::atoi(next().c_str()), 1, 16));
        else if (a == "--latency-ms")
            latency_ms = std::atof(next().c_str());
        else if (a == "--latency-jitter-ms")
            jitter_ms = std::atof(next().c_str());
        else if (a == "--model")
            st.model_on = next() != "off";
        else if (a == "--split-after")
            mp.split_after_s = std::atof(next().c_str());
        else if (a == "--src")
            st.src = next();
        else if (a == "--dst")
            st.dst = next();
        else if (a == "--exit-when-done")
            exit_when_done = true;
        else if (a == "--timeline")
            timeline_path = next();
        else if (a == "--timeline-step-ms")
            timeline_step_s = std::max(1.0, std::atof(next().c_str())) / 1000.0;
        else if (a == "--write-copy-requests")
            requests_path = next();
        else if (a == "--tls-cert")
            tls_cert = next();
        else if (a == "--tls-key")
            tls_key = next();
        else {
            std::fprintf(stderr,
                         "s3-load-target: unknown argument %s (see the header of bench/s3_load_target.cpp)\n",
                         a.c_str());
            return 2;
        }
    }
    if (!requests_path.empty()) return write_copy_requests(st, requests_path) ? 0 : 1;
    SSL_CTX* tls = nullptr;
    if (!tls_cert.empty()) {
        tls = SSL_CTX_new(TLS_server_method());
        if (!tls || SSL_CTX_use_certificate_chain_file(tls, tls_cert.c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(tls, tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
            std::fprintf(stderr, "s3-load-target: cannot load --tls-cert %s / --tls-key %s\n",
                         tls_cert.c_str(), tls_key.c_str());
            return 2;
        }
        SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_session_cache_mode(tls, SSL_SESS_CACHE_SERVER);
        // A record's header and body in one read() rather than two.
        SSL_CTX_set_read_ahead(tls, 1);
    }
    st.model = s3bench::rate_model(mp);
    st.src_model = s3bench::rate_model(mp);
    st.copied = bitmap(st.keys.n);
    st.deleted = bitmap(st.keys.n);

    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 1024) != 0) {
        std::perror("s3-load-target: bind/listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("port %d\n", ntohs(addr.sin_port));
    std::printf(
        "s3-load-target: a load target, not S3: %llu keys (%s) in s3://%s, copies into s3://%s; model %s "
        "(%.0f writes/%.0f reads a second per partition, split after %.0f s hot); latency %.1f ms +- %.1f "
        "(answers due together go out together, up to 0.25 ms late); %s\n",
        (unsigned long long)st.keys.n, st.keys.flat ? "flat" : "CloudTrail layout", st.src.c_str(),
        st.dst.c_str(), st.model_on ? "on" : "off", mp.write_rate, mp.read_rate, mp.split_after_s, latency_ms,
        jitter_ms, tls ? "TLS" : "HTTP");
    std::printf("s3-load-target: the model's optimum for %llu copies: %.1f s (any client)\n",
                (unsigned long long)st.keys.n, s3bench::optimum_seconds(st.keys.n, mp, 1e12));
    std::fflush(stdout);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);

    int ep = ::epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::map<int, connection> conns;
    std::priority_queue<delayed, std::vector<delayed>, std::greater<>> later;
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> jitter(-jitter_ms, jitter_ms);
    const double cpu0 = cpu_seconds();
    st.started = now_s();
    double first_request = 0, last_request = 0;

    auto flush = [&](connection& c) {
        bool want_out = false;
        while (c.out_sent < c.out.size()) {
            if (c.ssl) {
                const int n = SSL_write(c.ssl, c.out.data() + c.out_sent, int(c.out.size() - c.out_sent));
                if (n <= 0) {
                    const int err = SSL_get_error(c.ssl, n);
                    if (err == SSL_ERROR_WANT_WRITE) want_out = true;
                    if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) c.open = false;
                    break;
                }
                c.out_sent += std::size_t(n);
                continue;
            }
            ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN) break;
                c.open = false;
                return;
            }
            c.out_sent += std::size_t(n);
        }
        if (!c.open) return;
        if (c.out_sent == c.out.size()) c.out.clear(), c.out_sent = 0;
        // A system call per request saved: epoll is told only of a change.
        const unsigned events = EPOLLIN | (c.out.empty() && !want_out ? 0u : unsigned(EPOLLOUT));
        if (events == c.events) return;
        c.events = events;
        epoll_event e{};
        e.events = events;
        e.data.fd = c.fd;
        ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &e);
    };
    auto serve = [&](connection& c) {
        while (!c.pending) {
            request rq;
            std::string_view body;
            const std::size_t used = parse_request(c.in, rq, body);
            if (!used) break;
            const double t = now_s();
            if (first_request == 0) first_request = t;
            last_request = t;
            const std::uint64_t deleted_before = st.deleted_total;
            const response resp = st.handle(rq, body, t);
            if (!timeline_path.empty()) {
                const auto sec = std::size_t(std::max(0.0, t - first_request) / timeline_step_s);
                if (sec < 86400) {
                    if (timeline.size() <= sec) timeline.resize(sec + 1);
                    auto& row = timeline[sec];
                    ++row[0];
                    if (resp.status == 503) ++row[1];
                    if (resp.status == 200 && !rq.copy_source.empty()) ++row[2];
                    row[3] += st.deleted_total - deleted_before;
                    row[4] = st.model.partitions();
                }
            }
            std::string bytes = resp.raw ? std::string() : serialize(resp);
            c.in.erase(0, used);
            const double delay = std::max(0.0, latency_ms + (jitter_ms > 0 ? jitter(rng) : 0.0)) / 1000.0;
            if (delay > 0) {
                c.pending = true;
                later.push({t + delay, c.fd, std::move(bytes), resp.raw});
            } else {
                c.out += resp.raw ? *resp.raw : bytes;
            }
        }
        flush(c);
    };

    std::vector<epoll_event> events(256);
    const double batch_s = latency_ms > 0 ? 0.00025 : 0.0;
    while (!stop_flag) {
        // Sleep until the next delayed answer is due, but at least
        // `batch_s`: the answers due meanwhile go out together, late by at
        // most that, rather than one wakeup (a system call and a context
        // switch) per answer at thousands of answers a second.
        double wait_s = 0.1;
        if (!later.empty()) wait_s = std::clamp(later.top().due - now_s(), batch_s, 0.1);
        timespec timeout{0, long(wait_s * 1e9)};
        int n = ::epoll_pwait2(ep, events.data(), int(events.size()), &timeout, nullptr);
        for (int k = 0; k < n; ++k) {
            const int fd = events[k].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
                    if (cfd < 0) break;
                    ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event e{};
                    e.events = EPOLLIN;
                    e.data.fd = cfd;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &e);
                    conns[cfd].fd = cfd;
                    if (tls) {
                        SSL* ssl = SSL_new(tls);
                        SSL_set_fd(ssl, cfd);
                        SSL_set_accept_state(ssl);
                        conns[cfd].ssl = ssl;
                    }
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            connection& c = it->second;
            // TLS: a record may need the other direction (handshake), so
            // either event reads and writes.
            if (c.ssl && (events[k].events & (EPOLLIN | EPOLLOUT))) {
                char buf[65536];
                // epoll is level-triggered: once nothing is left buffered
                // in OpenSSL, what is still in the socket is reported
                // again, so no read is made only to find it empty.
                for (;;) {
                    const int r = SSL_read(c.ssl, buf, sizeof buf);
                    if (r > 0) {
                        c.in.append(buf, std::size_t(r));
                        if (SSL_has_pending(c.ssl)) continue;
                        break;
                    }
                    const int err = SSL_get_error(c.ssl, r);
                    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) c.open = false;
                    break;
                }
                if (c.open) serve(c);
            } else if (events[k].events & EPOLLIN) {
                char buf[65536];
                for (;;) {
                    ssize_t r = ::recv(fd, buf, sizeof buf, 0);
                    if (r > 0) {
                        c.in.append(buf, std::size_t(r));
                        if (std::size_t(r) == sizeof buf) continue;
                        break;
                    }
                    if (r == 0 || errno != EAGAIN) c.open = false;
                    break;
                }
                serve(c);
            }
            if (!c.ssl && (events[k].events & EPOLLOUT)) flush(c);
            if (!c.open) {
                if (c.ssl) SSL_free(c.ssl);
                ::close(fd);
                conns.erase(it);
            }
        }
        const double t = now_s();
        while (!later.empty() && later.top().due <= t) {
            // The answer's bytes are moved out, not copied (the queue's
            // order does not depend on them).
            delayed d = std::move(const_cast<delayed&>(later.top()));
            later.pop();
            auto it = conns.find(d.fd);
            if (it == conns.end()) continue;
            if (d.raw)
                it->second.out += *d.raw;
            else if (it->second.out.empty())
                it->second.out.swap(d.bytes);
            else
                it->second.out += d.bytes;
            it->second.pending = false;
            serve(it->second);  // a pipelined next request, if any
        }
        if (exit_when_done && st.copied.count() == st.keys.n) break;
    }
    const double cpu = cpu_seconds() - cpu0;
    const auto copied = st.copied.count();
    std::printf("s3-load-target: %llu requests in %.1f s", (unsigned long long)st.requests,
                last_request - first_request);
    for (unsigned o = 0; o < op_count; ++o)
        if (st.ops[o]) std::printf(", %s %llu", op_names[o], (unsigned long long)st.ops[o]);
    std::printf("\ns3-load-target: throttled %llu (503 SlowDown), partitions at the end %zu (%s), %zu (%s)\n",
                (unsigned long long)st.throttled, st.model.partitions(), st.dst.c_str(),
                st.src_model.partitions(), st.src.c_str());
    std::printf("s3-load-target: copied %llu of %llu (missing %llu), copied twice %llu, deleted %llu\n",
                (unsigned long long)copied, (unsigned long long)st.keys.n,
                (unsigned long long)(st.keys.n - copied), (unsigned long long)st.copied_twice,
                (unsigned long long)st.deleted.count());
    std::printf("s3-load-target: CPU %.2f s, %.2f us per request\n", cpu,
                st.requests ? cpu * 1e6 / double(st.requests) : 0.0);
    if (!timeline_path.empty()) {
        if (FILE* f = std::fopen(timeline_path.c_str(), "w")) {
            std::fprintf(f, "second,requests,throttled,copies,deleted,partitions\n");
            for (std::size_t i = 0; i < timeline.size(); ++i)
                std::fprintf(f, "%g,%llu,%llu,%llu,%llu,%llu\n", double(i) * timeline_step_s,
                             (unsigned long long)timeline[i][0], (unsigned long long)timeline[i][1],
                             (unsigned long long)timeline[i][2], (unsigned long long)timeline[i][3],
                             (unsigned long long)timeline[i][4]);
            std::fclose(f);
        }
    }
    return 0;
}
