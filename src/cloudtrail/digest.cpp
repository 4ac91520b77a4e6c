// CloudTrail digest files: parsing, the signing string, signatures, chains,
// and SHA-256 of gzip content (pure; zlib and libcrypto).
#include "s3merge/cloudtrail/digest.hpp"

#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <map>

#include "s3merge/crypto.hpp"

namespace s3merge::cloudtrail {

namespace {

std::error_code malformed(diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(errc::malformed_response);
}

// A string field, "" when absent or null.
std::string text(simdjson::dom::element e, std::string_view name) {
    std::string_view v;
    if (e[name].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
    return {};
}

bool time_value(simdjson::dom::element e, std::string_view name, sys_time& out) {
    std::string_view v;
    if (e[name].get_string().get(v) == simdjson::SUCCESS) {
        if (v.ends_with("+00:00")) return parse_iso8601(std::string(v.substr(0, v.size() - 6)) + "Z", out);
        return parse_iso8601(v, out);
    }
    double seconds = 0;
    std::int64_t whole = 0;
    if (e[name].get_int64().get(whole) == simdjson::SUCCESS)
        seconds = double(whole);
    else if (e[name].get_double().get(seconds) != simdjson::SUCCESS)
        return false;
    out = sys_time(std::chrono::duration_cast<sys_time::duration>(std::chrono::duration<double>(seconds)));
    return true;
}

}  // namespace

std::error_code parse_digest(std::string_view json, digest_file& out, diagnostics& diag) {
    out = digest_file{};
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (p.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS || !doc.is_object())
        return malformed(diag, "the digest file is not a JSON object");
    digest_file d;
    d.account = text(doc, "awsAccountId");
    d.start_time = text(doc, "digestStartTime");
    d.end_time = text(doc, "digestEndTime");
    d.bucket = text(doc, "digestS3Bucket");
    d.key = text(doc, "digestS3Object");
    d.fingerprint = text(doc, "digestPublicKeyFingerprint");
    d.signature_algorithm = text(doc, "digestSignatureAlgorithm");
    d.previous_bucket = text(doc, "previousDigestS3Bucket");
    d.previous_key = text(doc, "previousDigestS3Object");
    d.previous_hash_hex = text(doc, "previousDigestHashValue");
    d.previous_signature = text(doc, "previousDigestSignature");
    for (auto [field, value] : {std::pair<const char*, const std::string*>{"digestEndTime", &d.end_time},
                                {"digestS3Bucket", &d.bucket},
                                {"digestS3Object", &d.key},
                                {"digestPublicKeyFingerprint", &d.fingerprint}})
        if (value->empty()) return malformed(diag, std::string("the digest file has no ") + field);
    simdjson::dom::array files;
    if (doc["logFiles"].get_array().get(files) != simdjson::SUCCESS)
        return malformed(diag, "the digest file has no logFiles array");
    for (simdjson::dom::element f : files) {
        digest_log_file lf{text(f, "s3Bucket"), text(f, "s3Object"), text(f, "hashValue"),
                           text(f, "hashAlgorithm")};
        if (lf.bucket.empty() || lf.key.empty() || lf.hash_hex.empty())
            return malformed(diag,
                             "a log file of digest " + d.key + " has no s3Bucket, s3Object or hashValue");
        d.log_files.push_back(std::move(lf));
    }
    out = std::move(d);
    return {};
}

std::string digest_signing_string(const digest_file& d, std::string_view digest_sha256_hex) {
    // A null previous signature (the first digest of a chain) is signed as
    // the text "null".
    return d.end_time + "\n" + d.bucket + "/" + d.key + "\n" + std::string(digest_sha256_hex) + "\n" +
           (d.previous_signature.empty() ? std::string("null") : d.previous_signature);
}

std::error_code parse_public_keys(std::string_view json, std::vector<public_key>& out, diagnostics& diag,
                                  std::string* next_token) {
    out.clear();
    if (next_token) next_token->clear();
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    simdjson::dom::array list;
    if (p.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
        doc["PublicKeyList"].get_array().get(list) != simdjson::SUCCESS)
        return malformed(diag, "the public keys are not a JSON object with a PublicKeyList array");
    for (simdjson::dom::element k : list) {
        public_key pk;
        pk.fingerprint = text(k, "Fingerprint");
        if (pk.fingerprint.empty() || !crypto::base64_decode(text(k, "Value"), pk.der) || pk.der.empty() ||
            !time_value(k, "ValidityStartTime", pk.valid_from) ||
            !time_value(k, "ValidityEndTime", pk.valid_to)) {
            out.clear();
            return malformed(diag, "a public key without Fingerprint, a base64 Value or its validity times");
        }
        out.push_back(std::move(pk));
    }
    if (next_token) *next_token = text(doc, "NextToken");
    return {};
}

std::error_code verify_digest_signature(const digest_file& d, std::string_view digest_sha256_hex,
                                        std::string_view signature_hex, const std::vector<public_key>& keys,
                                        diagnostics& diag) {
    if (!d.signature_algorithm.empty() && d.signature_algorithm != "SHA256withRSA") {
        diag.detail = "digest " + d.key + ": signature algorithm " + d.signature_algorithm.substr(0, 40) +
                      " is not SHA256withRSA";
        return make_error_code(errc::integrity_error);
    }
    std::string signature;
    if (signature_hex.empty() || !crypto::unhex(signature_hex, signature)) {
        diag.detail = "digest " + d.key + ": its x-amz-meta-signature is missing or not hex";
        return make_error_code(errc::integrity_error);
    }
    sys_time end{};
    (void)parse_iso8601(d.end_time, end);
    const public_key* key = nullptr;
    for (const auto& k : keys)
        if (k.fingerprint == d.fingerprint) key = &k;
    if (!key) {
        diag.detail = "digest " + d.key + ": no CloudTrail public key with fingerprint " + d.fingerprint +
                      " (allow cloudtrail:ListPublicKeys, or give --public-keys FILE from `aws cloudtrail "
                      "list-public-keys`)";
        return make_error_code(errc::config_error);
    }
    if (!crypto::rsa_sha256_verify(key->der, digest_signing_string(d, digest_sha256_hex), signature)) {
        diag.detail = "digest " + d.key +
                      ": the signature does not match (the digest file was altered, or "
                      "signed by another key)";
        return make_error_code(errc::integrity_error);
    }
    return {};
}

std::vector<chain_break> walk_chain(std::vector<chain_entry> entries) {
    std::sort(entries.begin(), entries.end(), [](const chain_entry& a, const chain_entry& b) {
        return std::tie(a.end_time, a.key) < std::tie(b.end_time, b.key);
    });
    std::map<std::string, const chain_entry*> by_place;
    for (const auto& e : entries) by_place[e.bucket + "/" + e.key] = &e;
    std::vector<chain_break> out;
    for (const auto& e : entries) {
        if (e.previous_key.empty()) continue;  // the first digest of a chain
        auto it = by_place.find(e.previous_bucket + "/" + e.previous_key);
        if (it == by_place.end()) {
            // The oldest digest seen may name one from before the range
            // read: only a gap inside the range is a break.
            if (&e != &entries.front())
                out.push_back({e.key, "its previous digest s3://" + e.previous_bucket + "/" + e.previous_key +
                                          " is missing"});
            continue;
        }
        const chain_entry& prev = *it->second;
        if (prev.sha256_hex != e.previous_hash_hex)
            out.push_back({e.key, "the previous digest " + prev.key + " does not have the hash it names"});
        else if (prev.signature_hex != e.previous_signature)
            out.push_back(
                {e.key, "the previous digest " + prev.key + " does not have the signature it names"});
    }
    return out;
}

struct gunzip_sha256::state {
    z_stream z{};
    bool open = false;
    bool failed = false;
    bool member_done = false;
    std::uint64_t out_bytes = 0;
    crypto::sha256_stream sha;
    char buf[64 * 1024];
};

gunzip_sha256::gunzip_sha256() : s_(std::make_unique<state>()) {
    s_->open = inflateInit2(&s_->z, 16 + MAX_WBITS) == Z_OK;
    s_->failed = !s_->open;
}

gunzip_sha256::~gunzip_sha256() {
    if (s_->open) inflateEnd(&s_->z);
}

bool gunzip_sha256::feed(std::string_view compressed, diagnostics& diag) {
    auto& s = *s_;
    if (s.failed) return false;
    s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    s.z.avail_in = static_cast<uInt>(compressed.size());
    bool full = false;  // the last inflate filled the buffer: more output may be pending
    while (s.z.avail_in > 0 || full) {
        if (s.member_done) {  // another gzip member follows
            inflateReset(&s.z);
            s.member_done = false;
        }
        s.z.next_out = reinterpret_cast<Bytef*>(s.buf);
        s.z.avail_out = sizeof s.buf;
        const int rc = inflate(&s.z, Z_NO_FLUSH);
        const std::size_t produced = sizeof s.buf - s.z.avail_out;
        s.sha.update(std::string_view(s.buf, produced));
        s.out_bytes += produced;
        full = s.z.avail_out == 0;
        if (rc == Z_STREAM_END) {
            s.member_done = true;
            full = false;
            continue;
        }
        if (rc == Z_BUF_ERROR && s.z.avail_in == 0) break;  // needs more input
        if (rc != Z_OK) {
            s.failed = true;
            diag.detail =
                std::string("not a gzip file, or a corrupt one (") + (s.z.msg ? s.z.msg : "zlib error") + ")";
            return false;
        }
    }
    return true;
}

bool gunzip_sha256::finish(std::string& sha256_hex, diagnostics& diag) {
    auto& s = *s_;
    if (s.failed) return false;
    if (!s.member_done) {
        s.failed = true;
        diag.detail = "the gzip file is truncated";
        return false;
    }
    sha256_hex = s.sha.hex_digest();
    return true;
}

std::uint64_t gunzip_sha256::uncompressed_bytes() const {
    return s_->out_bytes;
}

}  // namespace s3merge::cloudtrail
