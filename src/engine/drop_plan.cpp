// The pure part of dropping a bucket: the guard, the DeleteObjects batcher
// and the explanation of failures.
#include "s3merge/engine/drop_plan.hpp"

#include "s3merge/ascii.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace s3merge::engine {

namespace {

using namespace std::chrono;

// A server's message or a key as one short printable line (control
// characters as spaces); a message loses its final period.
std::string tidy(std::string_view text, bool is_message) {
    constexpr std::size_t max_len = 160;
    std::string out;
    for (char c : text.substr(0, max_len)) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    if (text.size() > max_len) out += "...";
    while (is_message && !out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
    return out;
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

constexpr std::string_view access_denied_versions_fix =
    "the credentials need s3:ListBucketVersions, s3:DeleteObjectVersion, s3:AbortMultipartUpload and "
    "s3:DeleteBucket on the bucket (check the bucket policy too), or the versions are under Object Lock "
    "(some "
    "servers say only AccessDenied): remove the legal hold or wait for the retention period to end; then "
    "re-run "
    "drop-sources";

}  // namespace

// ---- the batcher ---------------------------------------------------------------

std::vector<s3::object_identifier> drop_batch::identifiers() const {
    std::vector<s3::object_identifier> ids;
    ids.reserve(entries.size());
    for (const drop_entry& e : entries) ids.push_back({e.key, e.version_id, {}});
    return ids;
}

drop_batcher::drop_batcher(std::optional<sys_time> guard, std::size_t batch_size)
    : guard_(guard), batch_size_(batch_size ? std::min(batch_size, s3::max_delete_objects) : 1) {}

guard_verdict judge(const std::optional<sys_time>& guard, std::string_view last_modified) {
    if (!guard) return guard_verdict::drop;
    sys_time t;
    if (!parse_iso8601(last_modified, t)) return guard_verdict::unreadable;
    return t >= *guard ? guard_verdict::newer : guard_verdict::drop;
}

bool drop_batcher::keep(std::string_view key, std::string_view last_modified) {
    switch (judge(guard_, last_modified)) {
        case guard_verdict::drop:
            return false;
        case guard_verdict::newer:
            ++tally_.kept_newer;
            break;
        case guard_verdict::unreadable:
            ++tally_.kept_unreadable;
            break;
    }
    if (tally_.kept_sample_key.empty()) tally_.kept_sample_key = std::string(key);
    return true;
}

void drop_batcher::push(drop_entry e) {
    filling_.entries.push_back(std::move(e));
    if (filling_.entries.size() >= batch_size_) {
        full_.push_back(std::move(filling_));
        filling_ = drop_batch{};
    }
}

void drop_batcher::add_version(const s3::object_version& v) {
    ++tally_.versions;
    tally_.bytes += v.size;
    if (keep(v.key, v.last_modified)) return;
    push({v.key, v.version_id, false, v.size});
}

void drop_batcher::add_delete_marker(const s3::delete_marker_entry& m) {
    ++tally_.delete_markers;
    if (keep(m.key, m.last_modified)) return;
    push({m.key, m.version_id, true, 0});
}

void drop_batcher::add_page(const s3::list_object_versions_result& page) {
    for (const auto& v : page.versions) add_version(v);
    for (const auto& m : page.delete_markers) add_delete_marker(m);
}

std::optional<drop_batch> drop_batcher::take_full() {
    if (full_.empty()) return std::nullopt;
    drop_batch b = std::move(full_.front());
    full_.pop_front();
    return b;
}

std::optional<drop_batch> drop_batcher::take_any() {
    if (auto b = take_full()) return b;
    if (filling_.entries.empty()) return std::nullopt;
    drop_batch b = std::move(filling_);
    filling_ = drop_batch{};
    return b;
}

// ---- explaining failures -----------------------------------------------------------

drop_failure_kind classify_drop_failure(std::string_view code, std::string_view message) {
    if (code.empty()) return drop_failure_kind::transient;  // transport: no answer from S3
    const std::error_code ec = s3::classify_error(0, code);
    if (is_retryable(ec)) return drop_failure_kind::transient;
    // S3 answers AccessDenied "Access Denied because object protected by
    // object lock."; other servers InvalidRequest or their own wording.
    for (std::string_view w : {"object lock", "objectlock", "object-lock", "retention", "legal hold",
                               "legalhold", "worm protected"})
        if (icontains(message, w)) return drop_failure_kind::object_lock;
    if (ec == errc::access_denied) return drop_failure_kind::access_denied;
    return drop_failure_kind::other;
}

std::string_view drop_fix(drop_failure_kind kind) {
    switch (kind) {
        case drop_failure_kind::object_lock:
            return "remove the legal hold or wait for the retention period to end, then re-run drop-sources";
        case drop_failure_kind::access_denied:
            return "the credentials need s3:ListBucketVersions, s3:DeleteObjectVersion, "
                   "s3:AbortMultipartUpload and s3:DeleteBucket on the bucket (check the bucket policy too), "
                   "then re-run drop-sources";
        case drop_failure_kind::transient:
            return "a transient error (throttling, server or network); re-run drop-sources";
        case drop_failure_kind::other:
            break;
    }
    return "see the report for each key, fix the cause, then re-run drop-sources";
}

void drop_failure_summary::add(const failure_record& f) {
    auto kind = classify_drop_failure(f.s3_code, f.message);
    group& g = groups_[static_cast<int>(kind)];
    if (g.versions + g.uploads == 0) g.sample = f;
    (f.operation == "AbortMultipartUpload" ? g.uploads : g.versions) += 1;
    ++total_;
}

drop_failure_kind drop_failure_summary::main_kind() const {
    int best = 0;
    for (int i = 1; i < 4; ++i)
        if (groups_[i].versions + groups_[i].uploads > groups_[best].versions + groups_[best].uploads)
            best = i;
    return static_cast<drop_failure_kind>(best);
}

std::error_code drop_failure_summary::error() const {
    if (empty()) return {};
    auto kind = main_kind();
    if (kind == drop_failure_kind::object_lock || kind == drop_failure_kind::access_denied)
        return make_error_code(errc::access_denied);
    const failure_record& s = groups_[static_cast<int>(kind)].sample;
    if (s.s3_code.empty()) return make_error_code(errc::server_error);
    return s3::classify_error(0, s.s3_code);
}

std::string drop_failure_summary::explain() const {
    // Groups by decreasing count, the main kind first.
    std::array<int, 4> order = {0, 1, 2, 3};
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return groups_[a].versions + groups_[a].uploads > groups_[b].versions + groups_[b].uploads;
    });
    std::string out;
    for (int i : order) {
        const group& g = groups_[i];
        if (g.versions + g.uploads == 0) continue;
        if (!out.empty()) out += "; and ";
        if (g.versions && g.uploads)
            out += plural(g.versions, "object version", "object versions") + " and " +
                   plural(g.uploads, "multipart upload", "multipart uploads") + " could not be removed";
        else if (g.versions)
            out += plural(g.versions, "object version could not be deleted",
                          "object versions could not be deleted");
        else
            out += plural(g.uploads, "multipart upload could not be aborted",
                          "multipart uploads could not be aborted");
        const failure_record& s = g.sample;
        out += " (";
        std::string msg = tidy(s.message, true);
        if (!s.s3_code.empty()) out += s.s3_code + (msg.empty() ? "" : ": ");
        out += msg;
        out += "; e.g. key " + tidy(s.key, false) + ") — ";
        // A plain AccessDenied on a version may also be Object Lock: Ceph RGW
        // answers <Code>AccessDenied</Code><Message>AccessDenied</Message>
        // for a version under a legal hold.
        if (i == static_cast<int>(drop_failure_kind::access_denied) && g.versions)
            out += access_denied_versions_fix;
        else
            out += drop_fix(static_cast<drop_failure_kind>(i));
    }
    return out;
}

bucket_verdict judge_bucket(std::string_view bucket, const counters& verified, const report& rep,
                            std::string_view dest_bucket, std::string_view fix) {
    bucket_verdict v;
    if (verified.failed == 0 && verified.skipped == verified.listed) {
        v.drop = true;
        return v;
    }
    const std::uint64_t not_identical =
        verified.failed ? verified.failed : verified.listed - std::min(verified.skipped, verified.listed);
    v.why_kept = "kept s3://" + std::string(bucket) + ": " + std::to_string(not_identical) +
                 " objects are not identical at s3://" + std::string(dest_bucket);
    std::size_t shown = 0;
    for (const auto& f : rep.failures) {
        if (f.bucket != bucket) continue;
        if (shown++ == 10) {
            v.why_kept += "\n    ...";
            break;
        }
        v.why_kept += "\n    " + f.s3_code + ": " + f.key;
    }
    v.why_kept += "\n  nothing in this bucket was deleted — " + std::string(fix);
    return v;
}

}  // namespace s3merge::engine
