// `s3merge cloudtrail verify --digests` and `drop-sources --require-proof`:
// the moved logs proven by CloudTrail's own signed digest files. For each
// region: its digests are read (at the destination, else at the source),
// each one's signature checked with CloudTrail's public key for its
// fingerprint, the chain walked, and every log file a digest names fetched
// from where the mapping put it and hashed (SHA-256 of its uncompressed
// content) against the digest. The checks are pure (cloudtrail/digest.hpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "cli/cloudtrail_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "s3merge/cloudtrail/digest.hpp"
#include "s3merge/cloudtrail/discovery.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/gen/cloudtrail.hpp"

namespace s3merge::cli::cloudtrail_cmd {

namespace asio = boost::asio;
namespace ct = s3merge::cloudtrail;

namespace {

// The digest prefix that goes with a logs prefix (…/CloudTrail/… →
// …/CloudTrail-Digest/…).
std::string digest_prefix_of(const std::string& logs_prefix) {
    const auto at = logs_prefix.rfind("/CloudTrail/");
    if (at == std::string::npos) return {};
    return logs_prefix.substr(0, at) + "/CloudTrail-Digest/" + logs_prefix.substr(at + 12);
}

// A log's body, inflated and hashed as it arrives: never held whole.
class hashing_sink : public body_sink {
public:
    void begin() override {
        hash_ = std::make_unique<ct::gunzip_sha256>();
        ok_ = true;
        why_ = {};
        stored_ = 0;
    }
    void data(std::string_view piece) override {
        stored_ += piece.size();
        if (ok_) ok_ = hash_->feed(piece, why_);
    }
    // The SHA-256 of the uncompressed content, or false with why().
    bool finish(std::string& sha256_hex) {
        if (!hash_) {
            why_.detail = "the log file is empty";
            return false;
        }
        return ok_ && hash_->finish(sha256_hex, why_);
    }
    const std::string& why() const { return why_.detail; }
    std::uint64_t stored() const { return stored_; }
    std::uint64_t uncompressed() const { return hash_ ? hash_->uncompressed_bytes() : 0; }

private:
    std::unique_ptr<ct::gunzip_sha256> hash_;
    bool ok_ = true;
    diagnostics why_;
    std::uint64_t stored_ = 0;
};

struct named_file {
    std::string dest_key;     // where the mapping put it
    std::string hash_hex;     // what its digest says
    std::string digest;       // which digest names it
    std::string bucket, key;  // where CloudTrail delivered it (a source, before a move)
};

}  // namespace

asio::awaitable<std::error_code> list_keys(s3::client& c, const std::string& bucket,
                                           const std::string& prefix, std::vector<std::string>& out,
                                           diagnostics& d) {
    out.clear();
    s3::list_objects_v2_params p;
    p.prefix = prefix;
    for (;;) {
        s3::list_objects_v2_result r;
        if (auto ec = co_await c.list_objects_v2(bucket, p, r, d)) co_return ec;
        for (auto& o : r.objects) out.push_back(std::move(o.key));
        if (!r.is_truncated || r.next_continuation_token.empty()) break;
        p.continuation_token = r.next_continuation_token;
    }
    co_return std::error_code{};
}

std::size_t read_width(const parsed_args& args) {
    std::uint64_t c = 32;
    if (args.has("concurrency") && parse_uint(args.value("concurrency"), 1, 100000, c))
        c = std::min<std::uint64_t>(c, 32);
    return static_cast<std::size_t>(std::max<std::uint64_t>(c, 1));
}

asio::awaitable<int> prove_with_digests(s3::client& client, const parsed_args& args, job& j,
                                        std::vector<region_proof>& out) {
    out.assign(j.rows.size(), region_proof{});
    // CloudTrail's public keys: the file given, else ListPublicKeys.
    std::vector<ct::public_key> keys;
    diagnostics kd;
    if (args.has("public-keys")) {
        std::string text;
        if (!read_text_file(args.value("public-keys"), text) || ct::parse_public_keys(text, keys, kd)) {
            print_usage_error("cloudtrail " + j.command,
                              "--public-keys " + args.value("public-keys") +
                                  ": not the JSON `aws cloudtrail list-public-keys` prints" +
                                  (kd.detail.empty() ? std::string() : " (" + kd.detail + ")"));
            co_return exit_usage;
        }
    } else {
        std::set<std::string> regions;
        for (const auto& r : j.rows)
            if (r.state == bucket_state::found) regions.insert(r.region);
        const std::string endpoint =
            args.value("cloudtrail-endpoint-url", ct::service_endpoint_from_env("cloudtrail", std::getenv));
        for (const auto& region : regions) {
            std::vector<ct::public_key> more;
            if (auto ec = co_await ct::list_public_keys(client, endpoint, region, more, kd)) {
                print_error(ec, kd);
                say("s3merge: cloudtrail %s: cannot read CloudTrail's public keys in %s: allow "
                    "cloudtrail:ListPublicKeys, or give --public-keys FILE (aws cloudtrail "
                    "list-public-keys --output json)\n",
                    j.command.c_str(), region.c_str());
                co_return exit_code_for(ec);
            }
            keys.insert(keys.end(), more.begin(), more.end());
        }
    }

    // Where a log file a digest names is now: through the mappings.
    auto dest_key_of = [&](const std::string& bucket, const std::string& key) -> std::string {
        for (const auto& r : j.rows)
            for (const auto& m : r.maps)
                if (r.bucket == bucket && m.kind == ct::log_kind::logs && key.starts_with(m.src_prefix))
                    return m.dest_prefix + key.substr(m.src_prefix.size());
        return bucket == j.dest_bucket ? key : std::string();
    };

    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& r = j.rows[i];
        auto& proof = out[i];
        if (r.state != bucket_state::found || r.maps.empty()) continue;
        const auto started = std::chrono::steady_clock::now();
        const auto& logs = r.maps.front();
        // Template mode maps an account's whole CloudTrail/ prefix: the
        // region's part of it.
        const std::string region_part = "/CloudTrail/" + r.region + "/";
        const std::string src_logs =
            logs.src_prefix.ends_with("/CloudTrail/") ? logs.src_prefix + r.region + "/" : logs.src_prefix;
        const std::string dest_logs =
            logs.dest_prefix.ends_with("/CloudTrail/") ? logs.dest_prefix + r.region + "/" : logs.dest_prefix;
        std::vector<std::string> digest_keys;
        diagnostics d;
        std::string digest_bucket = j.dest_bucket;
        if (auto ec =
                co_await list_keys(client, j.dest_bucket, digest_prefix_of(dest_logs), digest_keys, d)) {
            proof.problems.push_back("cannot list the digests: " + d.to_string());
            ++proof.errors;
            continue;
        }
        if (digest_keys.empty()) {  // not copied (yet): the source's
            digest_bucket = r.bucket;
            if (auto ec = co_await list_keys(client, r.bucket, digest_prefix_of(src_logs), digest_keys, d)) {
                proof.problems.push_back("cannot list the digests: " + d.to_string());
                ++proof.errors;
                continue;
            }
        }
        proof.digest_place = "s3://" + digest_bucket + "/" +
                             digest_prefix_of(digest_bucket == j.dest_bucket ? dest_logs : src_logs);
        // Read and check every digest.
        std::vector<ct::chain_entry> chain(digest_keys.size());
        std::vector<std::vector<named_file>> named(digest_keys.size());
        std::vector<std::string> problems(digest_keys.size());
        std::vector<int> kind(digest_keys.size(), 0);  // 0 ok, 1 bad signature, 2 error
        std::function<asio::awaitable<void>(std::size_t)> read_digest =
            [&](std::size_t k) -> asio::awaitable<void> {
            s3::get_object_result g;
            diagnostics gd;
            // A named parameter: a braced temporary inside co_await is destroyed twice by GCC 12.
            s3::get_object_params gp;
            gp.key = digest_keys[k];
            if (auto ec = co_await client.get_object(digest_bucket, std::move(gp), g, gd)) {
                problems[k] = "digest " + digest_keys[k] + ": " + gd.to_string();
                kind[k] = 2;
                co_return;
            }
            std::string json;
            ct::digest_file df;
            if (!gen::gunzip(g.body, json) || ct::parse_digest(json, df, gd)) {
                problems[k] = "digest " + digest_keys[k] + ": not a digest file (" +
                              (gd.detail.empty() ? std::string("not gzip") : gd.detail) + ")";
                kind[k] = 2;
                co_return;
            }
            std::string signature;
            for (const auto& m : g.metadata)
                if (m.name == "signature") signature = m.value;
            const std::string sha = crypto::sha256_hex(json);
            if (auto ec = ct::verify_digest_signature(df, sha, signature, keys, gd)) {
                problems[k] = gd.detail;
                kind[k] = 1;
            }
            chain[k] = {df.bucket,
                        df.key,
                        df.end_time,
                        sha,
                        signature,
                        df.previous_bucket,
                        df.previous_key,
                        df.previous_hash_hex,
                        df.previous_signature};
            for (const auto& f : df.log_files)
                named[k].push_back({dest_key_of(f.bucket, f.key), f.hash_hex, df.key, f.bucket, f.key});
        };
        co_await parallel_for(digest_keys.size(), read_width(args), read_digest);
        proof.digests = digest_keys.size();
        std::vector<named_file> files;
        std::vector<ct::chain_entry> readable;
        for (std::size_t k = 0; k < digest_keys.size(); ++k) {
            if (kind[k] == 1) ++proof.bad_signatures;
            if (kind[k] == 2) ++proof.errors;
            if (!problems[k].empty()) proof.problems.push_back(problems[k]);
            if (kind[k] != 2) readable.push_back(chain[k]);
            for (auto& f : named[k]) files.push_back(std::move(f));
        }
        for (const auto& b : ct::walk_chain(readable)) {
            ++proof.broken_links;
            proof.problems.push_back("digest " + b.key + ": " + b.reason);
        }
        // Every named file, fetched where the mapping put it and hashed.
        std::vector<int> verdict(files.size(), 0);  // 0 proven, 1 mismatch, 2 missing, 3 error
        std::vector<std::string> why(files.size());
        std::function<asio::awaitable<void>(std::size_t)> check =
            [&](std::size_t k) -> asio::awaitable<void> {
            const auto& f = files[k];
            if (f.dest_key.empty()) {
                verdict[k] = 2;
                why[k] = "a log file of digest " + f.digest + " is outside every mapping";
                co_return;
            }
            s3::get_object_result g;
            diagnostics gd;
            hashing_sink sink;
            s3::get_object_params gp;
            gp.key = f.dest_key;
            gp.sink = &sink;
            if (auto ec = co_await client.get_object(j.dest_bucket, std::move(gp), g, gd)) {
                verdict[k] = ec == errc::no_such_key || ec == errc::not_found ? 2 : 3;
                why[k] =
                    (verdict[k] == 2 ? "missing: s3://" + j.dest_bucket + "/" + f.dest_key
                                     : "s3://" + j.dest_bucket + "/" + f.dest_key + ": " + gd.to_string());
                // Not copied yet: the original, where CloudTrail delivered it.
                const bool from_source = std::any_of(
                    j.rows.begin(), j.rows.end(), [&](const region_row& s) { return s.bucket == f.bucket; });
                if (verdict[k] != 2 || !from_source) co_return;
                hashing_sink at_source;
                s3::get_object_params sp;
                sp.key = f.key;
                sp.sink = &at_source;
                s3::get_object_result sg;
                diagnostics sd;
                std::string sha;
                if (co_await client.get_object(f.bucket, std::move(sp), sg, sd) || !at_source.finish(sha))
                    co_return;  // missing at both ends
                if (sha == f.hash_hex) {
                    verdict[k] = 4;
                    why[k].clear();
                } else {
                    verdict[k] = 1;
                    why[k] = "altered at the source: s3://" + f.bucket + "/" + f.key + " (digest " +
                             f.digest + ")";
                }
                co_return;
            }
            std::string got;
            const bool read = sink.finish(got);
            proof.compressed_bytes += sink.stored();
            proof.uncompressed_bytes += sink.uncompressed();
            if (!read) {
                verdict[k] = 1;
                why[k] = "altered: s3://" + j.dest_bucket + "/" + f.dest_key + ": " + sink.why();
            } else if (got != f.hash_hex) {
                verdict[k] = 1;
                why[k] = "altered: s3://" + j.dest_bucket + "/" + f.dest_key + ": SHA-256 " +
                         got.substr(0, 16) + "… but digest " + f.digest + " says " +
                         f.hash_hex.substr(0, 16) + "…";
            }
        };
        co_await parallel_for(files.size(), read_width(args), check);
        std::set<std::string> covered;
        for (std::size_t k = 0; k < files.size(); ++k) {
            covered.insert(files[k].dest_key);
            switch (verdict[k]) {
                case 0:
                    ++proof.proven;
                    break;
                case 1:
                    ++proof.mismatched;
                    break;
                case 2:
                    ++proof.missing;
                    break;
                case 4:
                    ++proof.at_source;
                    break;
                default:
                    ++proof.errors;
            }
            if (!why[k].empty()) proof.problems.push_back(why[k]);
        }
        // Logs at the destination that no digest names (delivered before
        // validation was on): not proven, not a failure.
        std::vector<std::string> present;
        if (!co_await list_keys(client, j.dest_bucket, dest_logs, present, d))
            for (const auto& k : present)
                if (k.find(region_part) != std::string::npos && !covered.count(k)) ++proof.without_digest;
        proof.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    co_return -1;
}

bool region_proof::proven_whole() const {
    return errors == 0 && mismatched == 0 && missing == 0 && at_source == 0 && bad_signatures == 0 &&
           broken_links == 0;
}

int print_proof(const job& j, const std::vector<region_proof>& proofs) {
    text_table t;
    t.header = {"REGION",    "SOURCE BUCKET", "DIGESTS",        "PROVEN",       "ALTERED", "MISSING",
                "AT SOURCE", "NO DIGEST",     "BAD SIGNATURES", "BROKEN LINKS", "ERRORS"};
    t.right_align = {false, false, true, true, true, true, true, true, true, true, true};
    std::uint64_t bad = 0, proven = 0, hashed = 0, fetched = 0;
    double seconds = 0;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& r = j.rows[i];
        if (r.state != bucket_state::found) continue;
        const auto& p = proofs[i];
        t.rows.push_back({r.region, r.bucket, group_digits(p.digests), group_digits(p.proven),
                          group_digits(p.mismatched), group_digits(p.missing), group_digits(p.at_source),
                          group_digits(p.without_digest), group_digits(p.bad_signatures),
                          group_digits(p.broken_links), group_digits(p.errors)});
        bad += !p.proven_whole();
        proven += p.proven;
        hashed += p.uncompressed_bytes;
        fetched += p.compressed_bytes;
        seconds += p.seconds;
    }
    std::printf("\nproof from CloudTrail's signed digest files:\n");
    std::fputs(t.render().c_str(), stdout);
    std::size_t shown = 0;
    for (std::size_t i = 0; i < j.rows.size(); ++i)
        for (const auto& line : proofs[i].problems) {
            if (shown++ == 40) break;
            std::printf("  %s: %s\n", j.rows[i].region.c_str(), line.c_str());
        }
    std::printf("hashed %s of log data (%s as stored) in %.2f s: %.1f MB/s uncompressed\n",
                human_bytes(hashed).c_str(), human_bytes(fetched).c_str(), seconds,
                seconds > 0 ? double(hashed) / 1e6 / seconds : 0.0);
    std::uint64_t at_source = 0;
    for (const auto& p : proofs) at_source += p.at_source;
    if (at_source)
        std::printf(
            "%s log files are not at the destination yet, but intact at their source (AT SOURCE): copy "
            "them, then prove again\n",
            group_digits(at_source).c_str());
    if (bad == 0) {
        std::printf(
            "digests: every log file a digest names (%s) is at s3://%s with the content CloudTrail "
            "signed\n",
            group_digits(proven).c_str(), j.dest_bucket.c_str());
        return exit_ok;
    }
    std::printf("digests: NOT PROVEN in %s regions (see above)\n", group_digits(bad).c_str());
    return exit_failed;
}

}  // namespace s3merge::cli::cloudtrail_cmd
