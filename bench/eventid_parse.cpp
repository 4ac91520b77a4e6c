// eventID parsing speed: cloudtrail::event_ids (simdjson on-demand, what the
// overlap de-duplication runs on every log file of the window) against two
// peers on the same generated logs in the same run: simdjson's DOM (the whole
// file parsed into a tree, then Records[].eventID read) and a plain
// substring scan for "eventID" (not a parser: a floor for reading the
// bytes once). Prints MB/s of uncompressed JSON per core (one thread).
//
//   build/bench/eventid-parse [FILES=200] [RECORDS=2000] [PASSES=5] [realistic|small]
// realistic (default): each record also carries an identity, request
// parameters of 0.2 to 6 KB (escaped quotes, a tag list), response elements;
// small: the generator's records as they are (~250 bytes).
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "s3merge/cloudtrail/dedup.hpp"
#include "s3merge/gen/cloudtrail.hpp"

using namespace s3merge;

namespace {

template <class Fn>
double mb_per_s(const std::vector<std::string>& files, std::size_t bytes, int passes, Fn&& fn) {
    std::size_t found = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int p = 0; p < passes; ++p)
        for (const auto& f : files) found += fn(f);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (found == 0) std::abort();
    return double(bytes) * passes / 1e6 / s;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 200;
    const int records = argc > 2 ? std::atoi(argv[2]) : 2000;
    const int passes = argc > 3 ? std::atoi(argv[3]) : 5;
    const bool realistic = argc > 4 ? std::string(argv[4]) != "small" : true;
    gen::cloudtrail_series s;
    s.records_per_file = records;
    std::vector<std::string> files;
    std::size_t bytes = 0, events = 0;
    std::uint64_t rng = 0x9e3779b97f4a7c15ull;
    auto next = [&rng] {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        return rng;
    };
    for (int i = 0; i < n; ++i) {
        std::string json;
        if (!gen::gunzip(gen::cloudtrail_object(s, std::uint64_t(i)).body, json)) return 1;
        if (realistic) {
            // CloudTrail's record mix: identities, request parameters and
            // response elements of 0.2 to 6 KB, nested, with escapes.
            std::string mixed;
            mixed.reserve(json.size() * 12);
            std::size_t at = 0;
            for (std::size_t r = json.find("{\"eventVersion\""); r != std::string::npos;
                 r = json.find("{\"eventVersion\"", r + 1)) {
                mixed.append(json, at, r + 1 - at);
                at = r + 1;
                mixed +=
                    "\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE:session\","
                    "\"arn\":\"arn:aws:sts::123456789012:assumed-role/Admin/session\",\"sessionContext\":{"
                    "\"attributes\":{\"mfaAuthenticated\":\"false\",\"creationDate\":\"2024-01-01T00:00:"
                    "00Z\"}}},";
                mixed +=
                    "\"requestParameters\":{\"bucketName\":\"example\",\"key\":\"path/to/object\","
                    "\"policy\":\"";
                const std::size_t len = 200 + next() % 6000;
                for (std::size_t k = 0; k < len; ++k)
                    mixed += (k % 97 == 0) ? std::string("\\\"") : std::string(1, char('a' + k % 26));
                mixed += "\",\"tags\":[";
                for (int t = 0, nt = int(next() % 8); t < nt; ++t)
                    mixed += std::string(t ? "," : "") + "{\"key\":\"k" + std::to_string(t) +
                             "\",\"value\":" + std::to_string(next() % 100000) + "}";
                mixed += "]},\"responseElements\":null,\"readOnly\":false,";
            }
            mixed.append(json, at, std::string::npos);
            json = std::move(mixed);
        }
        json.reserve(json.size() + cloudtrail::padding_bytes);
        bytes += json.size();
        files.push_back(std::move(json));
    }
    std::vector<std::string> ids;
    ids.reserve(std::size_t(records));
    const double ondemand = mb_per_s(files, bytes, passes, [&](const std::string& f) {
        ids.clear();
        diagnostics d;
        if (cloudtrail::event_ids(f, f.capacity(), ids, d)) std::abort();
        return ids.size();
    });
    events = ids.size() * files.size();
    simdjson::dom::parser dom;
    const double tree = mb_per_s(files, bytes, passes, [&](const std::string& f) {
        std::size_t k = 0;
        simdjson::dom::element doc;
        if (dom.parse(f.data(), f.size(), false).get(doc)) std::abort();
        for (simdjson::dom::element r : doc["Records"].get_array()) {
            std::string_view id;
            if (!r["eventID"].get_string().get(id)) ++k;
        }
        return k;
    });
    const double scan = mb_per_s(files, bytes, passes, [&](const std::string& f) {
        std::size_t k = 0;
        for (auto at = f.find("\"eventID\""); at != std::string::npos; at = f.find("\"eventID\"", at + 9))
            ++k;
        return k;
    });
    std::printf(
        "eventID parsing: %d files of %d %s events (%.1f MB uncompressed, %zu events), %d passes, one "
        "thread\n",
        n, records, realistic ? "realistic" : "small", double(bytes) / 1e6, events, passes);
    std::printf("  implementation: %s\n", simdjson::get_active_implementation()->name().c_str());
    std::printf("  cloudtrail::event_ids (on-demand)  %8.0f MB/s\n", ondemand);
    std::printf("  simdjson DOM, then Records[].eventID %6.0f MB/s   ratio %.2f\n", tree, ondemand / tree);
    std::printf("  substring scan (not a parser)       %6.0f MB/s   ratio %.2f\n", scan, ondemand / scan);
    return 0;
}
