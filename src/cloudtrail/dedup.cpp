// Overlap windows, eventIDs (simdjson on-demand), verdicts, filtered files.
#include "s3merge/cloudtrail/dedup.hpp"

#include <simdjson.h>

#include <algorithm>
#include <set>

namespace s3merge::cloudtrail {

namespace {

std::error_code malformed(diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(errc::malformed_response);
}

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

static_assert(padding_bytes >= simdjson::SIMDJSON_PADDING, "simdjson needs this much padding");

}  // namespace

std::string day_of(std::string_view k) {
    if (k.size() < 11 || k[4] != '/' || k[7] != '/' || k[10] != '/') return {};
    if (!digits(k.substr(0, 4)) || !digits(k.substr(5, 2)) || !digits(k.substr(8, 2))) return {};
    return std::string(k.substr(0, 10));
}

std::vector<std::string> overlap_days(const std::vector<std::string>& source_keys,
                                      const std::vector<std::string>& dest_keys) {
    std::set<std::string> src, both;
    for (const auto& k : source_keys)
        if (auto d = day_of(k); !d.empty()) src.insert(std::move(d));
    for (const auto& k : dest_keys)
        if (auto d = day_of(k); !d.empty() && src.count(d)) both.insert(std::move(d));
    return {both.begin(), both.end()};
}

std::error_code event_ids(std::string_view json, std::size_t capacity, std::vector<std::string>& out,
                          diagnostics& diag) {
    if (capacity < json.size() + simdjson::SIMDJSON_PADDING)
        return malformed(diag, "internal: the log is not padded");
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    if (parser.iterate(json.data(), json.size(), capacity).get(doc))
        return malformed(diag, "the log file is not JSON");
    simdjson::ondemand::array records;
    if (doc.find_field_unordered("Records").get_array().get(records))
        return malformed(diag, "the log file has no Records array");
    const std::size_t before = out.size();
    for (auto record : records) {
        simdjson::ondemand::object o;
        std::string_view id;
        if (record.get_object().get(o) || o.find_field_unordered("eventID").get_string().get(id)) {
            out.resize(before);
            return malformed(diag, "a record of the log file has no eventID");
        }
        out.emplace_back(id);
    }
    return {};
}

file_verdict classify(const std::vector<std::string>& ids, const std::unordered_set<std::string>& dest_ids) {
    file_verdict v;
    v.events = ids.size();
    for (const auto& id : ids) v.duplicates += dest_ids.count(id);
    v.kind = v.duplicates == 0 ? dup_kind::none : v.duplicates == v.events ? dup_kind::all : dup_kind::some;
    return v;
}

std::error_code filter_records(std::string_view json, std::size_t capacity,
                               const std::unordered_set<std::string>& drop, std::string& out,
                               std::uint64_t& kept, diagnostics& diag) {
    out.clear();
    kept = 0;
    if (capacity < json.size() + simdjson::SIMDJSON_PADDING)
        return malformed(diag, "internal: the log is not padded");
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document doc;
    simdjson::ondemand::array records;
    if (parser.iterate(json.data(), json.size(), capacity).get(doc) ||
        doc.find_field_unordered("Records").get_array().get(records))
        return malformed(diag, "the log file is not a JSON object with a Records array");
    simdjson::dom::parser one;  // each record on its own, for its eventID
    out = "{\"Records\":[";
    for (auto record : records) {
        simdjson::ondemand::object o;
        std::string_view raw;
        if (record.get_object().get(o) || o.raw_json().get(raw)) {
            out.clear();
            return malformed(diag, "a record of the log file is not a JSON object");
        }
        simdjson::dom::element e;
        std::string_view id;
        if (one.parse(raw.data(), raw.size()).get(e) || e["eventID"].get_string().get(id)) {
            out.clear();
            return malformed(diag, "a record of the log file has no eventID");
        }
        if (drop.count(std::string(id))) continue;
        if (kept++) out += ',';
        out += raw;
    }
    out += "]}";
    return {};
}

std::string filtered_key(std::string_view key) {
    constexpr std::string_view ext = ".json.gz";
    if (key.ends_with(ext)) return std::string(key.substr(0, key.size() - ext.size())) + "_dedup.json.gz";
    return std::string(key) + "_dedup";
}

}  // namespace s3merge::cloudtrail
