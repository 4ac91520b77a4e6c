// Merging the reports of a sharded job's shards (pure). See report.hpp.
#include <algorithm>
#include <cmath>
#include <map>

#include "s3merge/engine/report.hpp"

namespace s3merge::engine {

namespace {

void add_codes(std::vector<code_count>& into, const std::vector<code_count>& from) {
    for (const auto& c : from) {
        auto it =
            std::find_if(into.begin(), into.end(), [&](const code_count& x) { return x.code == c.code; });
        if (it == into.end())
            into.push_back(c);
        else
            it->count += c.count;
    }
}

// The value at percentile p of a merged histogram: the upper bound of the
// bucket holding the ceil(p/100 * n)-th call (as latency_histogram does).
std::uint64_t percentile(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& hist, double p) {
    std::uint64_t n = 0;
    for (const auto& [upper, c] : hist) n += c;
    if (n == 0) return 0;
    const auto rank =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * double(n))));
    std::uint64_t seen = 0;
    for (const auto& [upper, c] : hist) {
        seen += c;
        if (seen >= rank) return upper;
    }
    return hist.back().first;
}

// A shard's cumulative counts at t_ms (its last sample at or before t).
timeline_point at(const std::vector<timeline_point>& tl, std::uint64_t t) {
    timeline_point p;
    for (const auto& x : tl) {
        if (x.t_ms > t) break;
        p = x;
    }
    return p;
}

}  // namespace

report merge_reports(const std::vector<report>& shards, std::string& problem) {
    problem.clear();
    report m;
    if (shards.empty()) {
        problem = "no report given";
        return m;
    }
    const report& first = shards.front();
    m.mode = first.mode;
    m.destination = first.destination;
    m.shard_count = 1;
    m.started_at = first.started_at;
    m.finished_at = first.finished_at;
    const std::uint64_t n = first.shard_count;
    std::vector<int> seen(n > 0 && n <= 10000 ? n : 0, 0);
    std::vector<std::string> issues;
    for (const auto& r : shards) {
        if (r.mode != first.mode || !(r.destination == first.destination) || r.shard_count != n) {
            issues.push_back("a report of another job (" + r.mode + " into " + r.destination.uri() + ", " +
                             std::to_string(r.shard_count) + " shards) is among them");
            continue;
        }
        if (r.shard_index < seen.size() && seen[r.shard_index]++ > 0) continue;  // the same shard again: once
        if (!r.started_at.empty() && (m.started_at.empty() || r.started_at < m.started_at))
            m.started_at = r.started_at;
        if (r.finished_at > m.finished_at) m.finished_at = r.finished_at;
        m.duration_ms = std::max(m.duration_ms, r.duration_ms);
        m.totals += r.totals;
        for (std::size_t i = 0; i < r.sources.size(); ++i) {
            auto it = std::find_if(m.sources.begin(), m.sources.end(),
                                   [&](const source_progress& s) { return s.source == r.sources[i].source; });
            std::size_t at_index = static_cast<std::size_t>(it - m.sources.begin());
            if (it == m.sources.end()) {
                m.sources.push_back({r.sources[i].source, {}});
                m.details.emplace_back();
            }
            m.sources[at_index].counters += r.sources[i].counters;
            if (i < r.details.size()) m.details[at_index] += r.details[i];
        }
        m.retries += r.retries, m.throttles += r.throttles, m.glacier_skipped += r.glacier_skipped;
        m.noncurrent_skipped += r.noncurrent_skipped, m.network_failures += r.network_failures;
        m.uploads_aborted += r.uploads_aborted, m.limit_changes += r.limit_changes;
        m.listing_splits += r.listing_splits;
        m.limit_lowest = m.limit_lowest ? std::min(m.limit_lowest, r.limit_lowest) : r.limit_lowest;
        for (const auto& o : r.operations) {
            auto it = std::find_if(m.operations.begin(), m.operations.end(),
                                   [&](const operation_record& x) { return x.name == o.name; });
            if (it == m.operations.end()) {
                m.operations.push_back(operation_record{});
                it = m.operations.end() - 1;
                it->name = o.name;
            }
            it->calls += o.calls, it->errors += o.errors, it->requests += o.requests,
                it->throttles += o.throttles;
            it->sum += o.sum, it->max = std::max(it->max, o.max);
            add_codes(it->codes, o.codes);
            add_codes(it->throttle_codes, o.throttle_codes);
            std::map<std::uint64_t, std::uint64_t> hist(it->histogram.begin(), it->histogram.end());
            for (const auto& [upper, c] : o.histogram) hist[upper] += c;
            it->histogram.assign(hist.begin(), hist.end());
        }
        for (const auto& h : r.hosts) {
            auto it = std::find_if(m.hosts.begin(), m.hosts.end(),
                                   [&](const host_stats& x) { return x.host == h.host; });
            if (it == m.hosts.end()) {
                m.hosts.push_back(h);
                continue;
            }
            it->requests += h.requests, it->retries += h.retries, it->throttles += h.throttles;
            it->connections_opened += h.connections_opened, it->transport_errors += h.transport_errors;
        }
        for (const auto& f : r.failures) {
            if (m.failures.size() < m.max_failures)
                m.failures.push_back(f);
            else
                ++m.failures_omitted;
        }
        m.failures_omitted += r.failures_omitted;
    }
    for (auto& o : m.operations) {
        o.p50 = percentile(o.histogram, 50), o.p90 = percentile(o.histogram, 90);
        o.p99 = percentile(o.histogram, 99), o.p999 = percentile(o.histogram, 99.9);
    }
    // Timelines: each shard from its own start, added once a second.
    m.timeline_interval_ms = 1000;
    for (std::uint64_t t = 1000;; t += 1000) {
        timeline_point sum;
        sum.t_ms = std::min(t, m.duration_ms);
        for (const auto& r : shards) {
            auto p = at(r.timeline, sum.t_ms);
            sum.copies += p.copies, sum.bytes += p.bytes, sum.listed += p.listed, sum.requests += p.requests;
            sum.throttles += p.throttles, sum.errors += p.errors, sum.in_flight += p.in_flight,
                sum.limit += p.limit;
        }
        if (m.timeline.empty() || sum.t_ms > m.timeline.back().t_ms) m.timeline.push_back(sum);
        if (t >= m.duration_ms || m.timeline.size() >= 3600) break;
    }
    std::vector<std::string> missing, twice;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        if (seen[i] == 0) missing.push_back(std::to_string(i));
        if (seen[i] > 1) twice.push_back(std::to_string(i));
    }
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    };
    if (n <= 1) issues.push_back("the reports are not of a sharded run (written with --shard I/N)");
    if (!missing.empty())
        issues.push_back("shard" + std::string(missing.size() > 1 ? "s " : " ") + join(missing) + " of " +
                         std::to_string(n) + " missing");
    if (!twice.empty())
        issues.push_back("shard" + std::string(twice.size() > 1 ? "s " : " ") + join(twice) + " given twice");
    problem = join(issues);
    return m;
}

}  // namespace s3merge::engine
