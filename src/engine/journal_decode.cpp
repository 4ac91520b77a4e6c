// Journal decoding with simdjson (DOM API, error codes, no exceptions).
#include <simdjson.h>

#include "engine/json_writer.hpp"
#include "s3merge/engine/journal.hpp"

namespace s3merge::engine {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Collects the first problem found as a human-readable path ("leaves[3].prefix").
class reader {
public:
    std::string problem;

    bool fail(std::string msg) {
        if (problem.empty()) problem = std::move(msg);
        return false;
    }
    bool get_object(element e, const std::string& where, object& out) {
        return e.get_object().get(out) == simdjson::SUCCESS || fail(where + " is not an object");
    }
    bool get_array(object o, const std::string& where, std::string_view name, array& out) {
        return o[name].get_array().get(out) == simdjson::SUCCESS ||
               fail(where + std::string(name) + " is missing or not an array");
    }
    bool get_u64(object o, const std::string& where, std::string_view name, std::uint64_t& out) {
        return o[name].get_uint64().get(out) == simdjson::SUCCESS ||
               fail(where + std::string(name) + " is missing or not an unsigned integer");
    }
    bool get_int(object o, const std::string& where, std::string_view name, int& out) {
        std::int64_t v = 0;
        if (o[name].get_int64().get(v) != simdjson::SUCCESS || v < -1000000 || v > 1000000)
            return fail(where + std::string(name) + " is missing or not a small integer");
        out = static_cast<int>(v);
        return true;
    }
    bool get_bool(object o, const std::string& where, std::string_view name, bool& out) {
        return o[name].get_bool().get(out) == simdjson::SUCCESS ||
               fail(where + std::string(name) + " is missing or not a boolean");
    }
    // A string written by bytes_field: "<name>" or "<name>_hex".
    bool get_bytes(object o, const std::string& where, std::string_view name, std::string& out) {
        std::string_view sv;
        if (o[name].get_string().get(sv) == simdjson::SUCCESS) {
            out = std::string(sv);
            return true;
        }
        std::string hex_name = std::string(name) + "_hex";
        if (o[hex_name].get_string().get(sv) == simdjson::SUCCESS && from_hex(sv, out)) return true;
        return fail(where + std::string(name) + " is missing or not a string");
    }
    // The same, for a field that may be absent (then out is empty).
    bool get_optional_bytes(object o, const std::string& where, std::string_view name, std::string& out) {
        out.clear();
        std::string hex_name = std::string(name) + "_hex";
        if (o[name].error() == simdjson::NO_SUCH_FIELD && o[hex_name].error() == simdjson::NO_SUCH_FIELD)
            return true;
        return get_bytes(o, where, name, out);
    }
    bool get_counters(object o, const std::string& where, std::string_view name, counters& c) {
        object co;
        std::string w = where + std::string(name);
        if (o[name].get_object().get(co) != simdjson::SUCCESS)
            return fail(w + " is missing or not an object");
        w += '.';
        return get_u64(co, w, "listed", c.listed) && get_u64(co, w, "copied", c.copied) &&
               get_u64(co, w, "skipped", c.skipped) && get_u64(co, w, "deleted", c.deleted) &&
               get_u64(co, w, "failed", c.failed) && get_u64(co, w, "bytes_copied", c.bytes_copied);
    }
};

constexpr const char* start_over =
    "; delete the journal file to start the job over (objects already copied are detected and skipped)";

std::error_code corrupt(diagnostics& diag, const std::string& what) {
    diag.operation = "read journal";
    diag.detail = "the resume journal is unusable: " + what + start_over;
    return errc::config_error;
}

}  // namespace

std::error_code decode_journal(std::string_view text, std::string_view expected_job_id, journal& out,
                               diagnostics& diag) {
    if (text.size() > max_journal_bytes) return corrupt(diag, "it is larger than the 256 MiB limit");
    simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    element root;
    if (auto err = parser.parse(padded).get(root))
        return corrupt(
            diag, std::string("not valid JSON, truncated or damaged (") + simdjson::error_message(err) + ")");
    reader r;
    object top;
    std::string_view format;
    if (!r.get_object(root, "the document", top)) return corrupt(diag, r.problem);
    if (top["format"].get_string().get(format) != simdjson::SUCCESS || format != "s3merge-journal")
        return corrupt(diag, "it is not an s3merge journal (no \"format\": \"s3merge-journal\")");

    journal j;
    if (!r.get_int(top, "", "version", j.version)) return corrupt(diag, r.problem);
    if (j.version != journal_version) {
        diag.operation = "read journal";
        diag.detail = "journal format version " + std::to_string(j.version) +
                      " is not supported by this s3merge (it reads version " +
                      std::to_string(journal_version) + "); resume with the s3merge that wrote it" +
                      start_over;
        return errc::config_error;
    }
    if (!r.get_bytes(top, "", "job_id", j.job_id)) return corrupt(diag, r.problem);
    if (!expected_job_id.empty() && j.job_id != expected_job_id) {
        diag.operation = "read journal";
        diag.detail = "the journal belongs to job " + j.job_id + ", not to this job " +
                      std::string(expected_job_id) +
                      " (different mode, sources or destination); check the command line or the journal path";
        return errc::config_error;
    }
    array sources, leaves;
    if (!r.get_int(top, "", "fanout_depth", j.fanout_depth) || !r.get_counters(top, "", "totals", j.totals) ||
        !r.get_array(top, "", "sources", sources) || !r.get_array(top, "", "leaves", leaves))
        return corrupt(diag, r.problem);

    std::size_t i = 0;
    for (element e : sources) {
        std::string where = "sources[" + std::to_string(i++) + "]";
        object o;
        source_progress s;
        if (!r.get_object(e, where, o)) return corrupt(diag, r.problem);
        where += '.';
        if (!r.get_bytes(o, where, "bucket", s.source.bucket) ||
            !r.get_bytes(o, where, "prefix", s.source.prefix) ||
            !r.get_counters(o, where, "counters", s.counters))
            return corrupt(diag, r.problem);
        j.sources.push_back(std::move(s));
    }
    i = 0;
    for (element e : leaves) {
        std::string where = "leaves[" + std::to_string(i++) + "]";
        object o;
        leaf_state l;
        if (!r.get_object(e, where, o)) return corrupt(diag, r.problem);
        where += '.';
        if (!r.get_bytes(o, where, "bucket", l.bucket) || !r.get_bytes(o, where, "prefix", l.prefix) ||
            !r.get_bytes(o, where, "delimiter", l.delimiter) ||
            !r.get_bytes(o, where, "watermark", l.watermark) ||
            !r.get_bool(o, where, "complete", l.complete) ||
            !r.get_optional_bytes(o, where, "from", l.from) || !r.get_optional_bytes(o, where, "to", l.to))
            return corrupt(diag, r.problem);
        if (l.bucket.empty()) return corrupt(diag, where + "bucket is empty");
        if (!l.delimiter.empty() && l.delimiter != "/")
            return corrupt(diag, where + "delimiter must be \"\" or \"/\"");
        // A range (from, to] of keys under the prefix; the watermark inside it.
        if ((!l.from.empty() && !l.from.starts_with(l.prefix)) ||
            (!l.to.empty() && !l.to.starts_with(l.prefix)))
            return corrupt(diag, where + "from and to must start with the prefix");
        if (!l.to.empty() && compare_keys(l.from, l.to) >= 0)
            return corrupt(diag, where + "from must come before to");
        if (!l.watermark.empty() &&
            (compare_keys(l.watermark, l.from) < 0 || (!l.to.empty() && compare_keys(l.watermark, l.to) > 0)))
            return corrupt(diag, where + "watermark outside the range from..to");
        j.leaves.push_back(std::move(l));
    }
    // Unfinished multipart uploads: absent in journals written before them.
    array uploads;
    if (top["uploads"].get_array().get(uploads) == simdjson::SUCCESS) {
        i = 0;
        for (element e : uploads) {
            std::string where = "uploads[" + std::to_string(i++) + "]";
            object o;
            upload_state u;
            if (!r.get_object(e, where, o)) return corrupt(diag, r.problem);
            where += '.';
            if (!r.get_bytes(o, where, "bucket", u.bucket) || !r.get_bytes(o, where, "key", u.key) ||
                !r.get_bytes(o, where, "upload_id", u.upload_id))
                return corrupt(diag, r.problem);
            if (u.bucket.empty() || u.upload_id.empty())
                return corrupt(diag, where + "bucket or upload_id is empty");
            j.uploads.push_back(std::move(u));
        }
    }
    out = std::move(j);
    return {};
}

}  // namespace s3merge::engine
