// Journal encoding, job identity and the default journal path (pure).
#include <algorithm>

#include "engine/json_writer.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/crypto.hpp"

namespace s3merge::engine {

namespace {

void append_field(std::string& out, std::string_view v) {
    out += std::to_string(v.size());
    out += ':';
    out += v;
    out += ',';
}

// Strings that must round-trip byte for byte.
void bytes_field(json_writer& w, std::string_view name, std::string_view v) {
    if (is_valid_utf8(v)) {
        w.field(name, v);
    } else {
        w.field(std::string(name) + "_hex", to_hex(v));
    }
}

void write_counters(json_writer& w, const counters& c) {
    w.begin_object();
    w.field_uint("listed", c.listed);
    w.field_uint("copied", c.copied);
    w.field_uint("skipped", c.skipped);
    w.field_uint("deleted", c.deleted);
    w.field_uint("failed", c.failed);
    w.field_uint("bytes_copied", c.bytes_copied);
    w.end_object();
}

bool is_hex_id(std::string_view id) {
    return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string_view strip_trailing_slashes(std::string_view s) {
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
}

}  // namespace

std::string canonical_description(const job_description& job) {
    std::vector<location> sources = job.sources;
    std::sort(sources.begin(), sources.end(), [](const location& a, const location& b) {
        int c = compare_keys(a.bucket, b.bucket);
        return c != 0 ? c < 0 : key_less(a.prefix, b.prefix);
    });
    // Length-prefixed fields: no separator inside a bucket or prefix can make
    // two different jobs serialise the same.
    std::string out = "s3merge-job-v1,";
    append_field(out, job.mode);
    append_field(out, std::to_string(sources.size()));
    for (const auto& s : sources) {
        append_field(out, s.bucket);
        append_field(out, s.prefix);
    }
    append_field(out, job.destination.bucket);
    append_field(out, job.destination.prefix);
    return out;
}

std::string job_id(const job_description& job) {
    return crypto::sha256_hex(canonical_description(job));
}

std::string encode_journal(const journal& j) {
    json_writer w;
    w.begin_object();
    w.field("format", "s3merge-journal");
    w.key("version");
    w.int_value(j.version);
    w.field("job_id", j.job_id);
    w.key("fanout_depth");
    w.int_value(j.fanout_depth);
    w.key("totals");
    write_counters(w, j.totals);
    w.key("sources");
    w.begin_array();
    for (const auto& s : j.sources) {
        w.begin_object();
        bytes_field(w, "bucket", s.source.bucket);
        bytes_field(w, "prefix", s.source.prefix);
        w.key("counters");
        write_counters(w, s.counters);
        w.end_object();
    }
    w.end_array();
    w.key("leaves");
    w.begin_array();
    for (const auto& l : j.leaves) {
        w.begin_object();
        bytes_field(w, "bucket", l.bucket);
        bytes_field(w, "prefix", l.prefix);
        bytes_field(w, "delimiter", l.delimiter);
        bytes_field(w, "watermark", l.watermark);
        w.field_bool("complete", l.complete);
        // A key range of the leaf (split for parallel listing): only then.
        if (!l.from.empty()) bytes_field(w, "from", l.from);
        if (!l.to.empty()) bytes_field(w, "to", l.to);
        w.end_object();
    }
    w.end_array();
    w.key("uploads");
    w.begin_array();
    for (const auto& u : j.uploads) {
        w.begin_object();
        bytes_field(w, "bucket", u.bucket);
        bytes_field(w, "key", u.key);
        bytes_field(w, "upload_id", u.upload_id);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    std::string out = w.take();
    out += '\n';
    return out;
}

std::error_code default_journal_path(std::string_view job_id, std::string_view xdg_state_home,
                                     std::string_view home, std::string& out, diagnostics& diag) {
    diag.operation = "journal path";
    if (!is_hex_id(job_id)) {
        diag.detail = "job id '" + std::string(job_id) + "' is not a lower-case hex SHA-256";
        return errc::invalid_argument;
    }
    std::string base;
    if (xdg_state_home.starts_with('/')) {
        base = std::string(strip_trailing_slashes(xdg_state_home));
    } else if (home.starts_with('/')) {
        base = std::string(strip_trailing_slashes(home)) + "/.local/state";
    } else {
        diag.detail =
            "cannot place the resume journal: neither XDG_STATE_HOME nor HOME is set to an absolute path; "
            "set one of them or give the journal path explicitly";
        return errc::config_error;
    }
    out = base + "/s3merge/" + std::string(job_id) + ".journal";
    return {};
}

}  // namespace s3merge::engine
