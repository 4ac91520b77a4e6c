// Report decoding with simdjson (DOM API, error codes, no exceptions), for
// `s3merge report show|compare|html`. Fields the engine always writes are
// required; telemetry fields are optional (0 / empty when absent).
#include <simdjson.h>

#include "engine/json_writer.hpp"
#include "s3merge/engine/report.hpp"

namespace s3merge::engine {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

struct reader {
    std::string problem;

    bool fail(std::string msg) {
        if (problem.empty()) problem = std::move(msg);
        return false;
    }
    bool u64(object o, std::string_view name, std::uint64_t& out, bool required = true) {
        auto r = o[name];
        if (r.error() == simdjson::NO_SUCH_FIELD && !required) return true;
        return r.get_uint64().get(out) == simdjson::SUCCESS ||
               fail(std::string(name) + " is missing or not an unsigned integer");
    }
    bool str(object o, std::string_view name, std::string& out, bool required = true) {
        auto r = o[name];
        if (r.error() == simdjson::NO_SUCH_FIELD && !required) return true;
        std::string_view sv;
        if (r.get_string().get(sv) != simdjson::SUCCESS) return fail(std::string(name) + " is not a string");
        out.assign(sv);
        return true;
    }
    bool counters_of(object o, counters& c) {
        return u64(o, "listed", c.listed) && u64(o, "copied", c.copied) && u64(o, "skipped", c.skipped) &&
               u64(o, "deleted", c.deleted) && u64(o, "failed", c.failed) &&
               u64(o, "bytes_copied", c.bytes_copied);
    }
    // "s3://bucket/prefix"
    static location parse_uri(std::string_view uri) {
        location l;
        if (uri.starts_with("s3://")) uri.remove_prefix(5);
        auto slash = uri.find('/');
        l.bucket = std::string(uri.substr(0, slash));
        if (slash != std::string_view::npos) l.prefix = std::string(uri.substr(slash + 1));
        return l;
    }

    bool operation(object o, operation_record& r) {
        if (!str(o, "name", r.name) || !u64(o, "calls", r.calls) || !u64(o, "errors", r.errors) ||
            !u64(o, "requests", r.requests, false) || !u64(o, "throttles", r.throttles, false))
            return false;
        object lat;
        if (o["latency_us"].get_object().get(lat) != simdjson::SUCCESS)
            return fail("operations[].latency_us is missing");
        if (!u64(lat, "p50", r.p50) || !u64(lat, "p90", r.p90) || !u64(lat, "p99", r.p99) ||
            !u64(lat, "p99.9", r.p999) || !u64(lat, "max", r.max) || !u64(lat, "sum", r.sum, false))
            return false;
        for (auto [field_name, list] :
             {std::pair{"codes", &r.codes}, std::pair{"throttle_codes", &r.throttle_codes}}) {
            object codes;
            if (o[field_name].get_object().get(codes) != simdjson::SUCCESS) continue;
            for (auto field : codes) {
                std::uint64_t n = 0;
                if (field.value.get_uint64().get(n) != simdjson::SUCCESS)
                    return fail(std::string(field_name) + ": not a count");
                list->push_back({std::string(field.key), n});
            }
        }
        array hist;
        if (o["latency_histogram"].get_array().get(hist) == simdjson::SUCCESS) {
            for (auto pair : hist) {
                array a;
                std::uint64_t upper = 0, n = 0;
                if (pair.get_array().get(a) != simdjson::SUCCESS || a.size() != 2 ||
                    a.at(0).get_uint64().get(upper) != simdjson::SUCCESS ||
                    a.at(1).get_uint64().get(n) != simdjson::SUCCESS)
                    return fail("latency_histogram: not [upper, count] pairs");
                r.histogram.emplace_back(upper, n);
            }
        }
        return true;
    }

    bool decode(object root, report& rep) {
        std::uint64_t version = 0;
        if (!u64(root, "version", version)) return false;
        if (version != report_version)
            return fail("version " + std::to_string(version) + " is not supported");
        std::string dest;
        if (!str(root, "job_id", rep.job_id) || !str(root, "mode", rep.mode) ||
            !str(root, "destination", dest) || !str(root, "started_at", rep.started_at, false) ||
            !str(root, "finished_at", rep.finished_at, false) ||
            !u64(root, "duration_ms", rep.duration_ms, false))
            return false;
        rep.destination = parse_uri(dest);
        object totals;
        if (root["totals"].get_object().get(totals) != simdjson::SUCCESS) return fail("totals is missing");
        if (!counters_of(totals, rep.totals)) return false;
        array sources;
        if (root["sources"].get_array().get(sources) != simdjson::SUCCESS) return fail("sources is missing");
        for (auto e : sources) {
            object so;
            if (e.get_object().get(so) != simdjson::SUCCESS) return fail("sources[] is not an object");
            source_progress sp;
            std::string uri;
            source_details d;
            if (!str(so, "source", uri) || !counters_of(so, sp.counters) ||
                !u64(so, "bytes_listed", d.bytes_listed, false) || !u64(so, "to_copy", d.to_copy, false) ||
                !u64(so, "bytes_to_copy", d.bytes_to_copy, false))
                return false;
            sp.source = parse_uri(uri);
            rep.sources.push_back(std::move(sp));
            rep.details.push_back(d);
        }
        if (!u64(root, "retries", rep.retries) || !u64(root, "throttles", rep.throttles) ||
            !u64(root, "network_failures", rep.network_failures, false) ||
            !u64(root, "glacier_skipped", rep.glacier_skipped, false) ||
            !u64(root, "limit_changes", rep.limit_changes, false) ||
            !u64(root, "limit_lowest", rep.limit_lowest, false) ||
            !u64(root, "listing_splits", rep.listing_splits, false) ||
            !u64(root, "max_requests_per_second", rep.max_requests_per_second, false) ||
            !u64(root, "shard_index", rep.shard_index, false) ||
            !u64(root, "shard_count", rep.shard_count, false) ||
            !u64(root, "max_bytes_per_second", rep.max_bytes_per_second, false) ||
            !u64(root, "failures_omitted", rep.failures_omitted, false) ||
            !str(root, "credentials", rep.credentials, false))
            return false;
        array ops;
        if (root["operations"].get_array().get(ops) == simdjson::SUCCESS) {
            for (auto e : ops) {
                object oo;
                operation_record r;
                if (e.get_object().get(oo) != simdjson::SUCCESS || !operation(oo, r))
                    return fail(problem.empty() ? "operations[] is not an object" : problem);
                rep.operations.push_back(std::move(r));
            }
        }
        array hosts;
        if (root["hosts"].get_array().get(hosts) == simdjson::SUCCESS) {
            for (auto e : hosts) {
                object ho;
                host_stats h;
                if (e.get_object().get(ho) != simdjson::SUCCESS || !str(ho, "host", h.host) ||
                    !u64(ho, "requests", h.requests) || !u64(ho, "retries", h.retries) ||
                    !u64(ho, "throttles", h.throttles) ||
                    !u64(ho, "connections_opened", h.connections_opened) ||
                    !u64(ho, "transport_errors", h.transport_errors))
                    return fail(problem.empty() ? "hosts[] is not an object" : problem);
                rep.hosts.push_back(std::move(h));
            }
        }
        object tl;
        if (root["timeline"].get_object().get(tl) == simdjson::SUCCESS) {
            array rows;
            if (!u64(tl, "interval_ms", rep.timeline_interval_ms)) return false;
            if (tl["rows"].get_array().get(rows) != simdjson::SUCCESS)
                return fail("timeline.rows is missing");
            for (auto row : rows) {
                array a;
                if (row.get_array().get(a) != simdjson::SUCCESS || a.size() != 9)
                    return fail("timeline.rows[] is not a row of 9 numbers");
                std::uint64_t v[9] = {};
                std::size_t i = 0;
                for (auto x : a)
                    if (x.get_uint64().get(v[i++]) != simdjson::SUCCESS)
                        return fail("timeline.rows[] holds a value that is not an unsigned integer");
                rep.timeline.push_back({v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]});
            }
        }
        array failures;
        if (root["failures"].get_array().get(failures) == simdjson::SUCCESS) {
            for (auto e : failures) {
                object fo;
                failure_record f;
                std::int64_t attempts = 0;
                if (e.get_object().get(fo) != simdjson::SUCCESS || !str(fo, "operation", f.operation) ||
                    !str(fo, "bucket", f.bucket) || !str(fo, "key", f.key) || !str(fo, "code", f.s3_code) ||
                    !str(fo, "message", f.message))
                    return fail(problem.empty() ? "failures[] is not an object" : problem);
                if (fo["attempts"].get_int64().get(attempts) != simdjson::SUCCESS) attempts = 0;
                f.attempts = static_cast<int>(attempts);
                rep.failures.push_back(std::move(f));
            }
        }
        return true;
    }
};

}  // namespace

std::error_code decode_report(std::string_view json, report& out, diagnostics& diag) {
    out = report{};
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    element root;
    object ro;
    reader rd;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS ||
        root.get_object().get(ro) != simdjson::SUCCESS) {
        rd.fail("not a JSON object");
    } else {
        rd.decode(ro, out);
    }
    if (rd.problem.empty()) return {};
    diag.operation = "read report";
    diag.detail = "not an s3merge report: " + rd.problem + "; give a file written by --report";
    return make_error_code(errc::invalid_argument);
}

}  // namespace s3merge::engine
