#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <set>

#include "s3merge/engine/collisions.hpp"
#include "s3merge/engine/key_map.hpp"

using namespace s3merge;
using namespace s3merge::engine;

namespace {

struct object {
    std::uint64_t size = 1;
    std::string etag = "e";
};
using bucket = std::map<std::string, object, bool (*)(std::string_view, std::string_view)>;
bucket make_bucket() {
    return bucket(key_less);
}

// ListObjectsV2 with delimiter '/' over an in-memory bucket, max_keys per page.
s3::list_objects_v2_result list(const bucket& b, const std::string& prefix, std::string& after,
                                std::size_t max_keys, bool& last) {
    s3::list_objects_v2_result r;
    std::set<std::string, bool (*)(std::string_view, std::string_view)> seen(key_less);
    std::size_t n = 0;
    for (auto it = after.empty() ? b.lower_bound(prefix) : b.upper_bound(after); it != b.end(); ++it) {
        if (!it->first.starts_with(prefix)) break;
        auto rest = it->first.substr(prefix.size());
        auto slash = rest.find('/');
        if (slash != std::string::npos) {
            std::string cp = prefix + rest.substr(0, slash + 1);
            if (!seen.insert(cp).second) continue;
            if (n == max_keys) break;
            r.common_prefixes.push_back(cp);
            // Skip the whole prefix, as S3 does.
            after = cp + "\xff\xff\xff\xff";
            ++n;
            it = b.lower_bound(after);
            if (it == b.end() || !it->first.starts_with(prefix)) {
                last = true;
                return r;
            }
            --it;
            continue;
        }
        if (n == max_keys) break;
        r.objects.push_back({it->first, it->second.size, it->second.etag, "", "STANDARD"});
        after = it->first;
        ++n;
    }
    // Last when nothing follows.
    auto it = b.upper_bound(after);
    last = it == b.end() || !it->first.starts_with(prefix) || n < max_keys;
    if (!last) {
        // Still more under the prefix: only if the page filled up.
        last = false;
    }
    return r;
}

// Runs the whole walk over in-memory buckets.
std::vector<collision> walk(const std::vector<walk_source>& sources,
                            const std::map<std::string, bucket>& buckets, std::size_t page,
                            std::size_t* requests = nullptr) {
    std::vector<collision> out;
    std::vector<walk_node> stack = collision_roots(sources);
    while (!stack.empty()) {
        walk_node node = std::move(stack.back());
        stack.pop_back();
        node_merge nm(std::move(node), sources);
        std::vector<std::string> after(nm.members().size());
        diagnostics diag;
        int guard = 0;
        while (!nm.done()) {
            auto w = nm.wants();
            REQUIRE_FALSE(w.empty());
            for (auto m : w) {
                const auto& mem = nm.members()[m];
                bool last = false;
                auto pg = list(buckets.at(sources[mem.source].bucket), mem.list_prefix, after[m], page, last);
                if (requests) ++*requests;
                REQUIRE_FALSE(nm.push(m, pg, last, diag));
            }
            REQUIRE(++guard < 100000);
        }
        for (auto& c : nm.take_collisions()) out.push_back(std::move(c));
        for (auto& ch : nm.take_children()) stack.push_back(std::move(ch));
    }
    std::sort(out.begin(), out.end(),
              [](const collision& a, const collision& b) { return key_less(a.dest_key, b.dest_key); });
    return out;
}

// Brute force: map every key of every source, group by destination key.
std::vector<collision> model(const std::vector<walk_source>& sources,
                             const std::map<std::string, bucket>& buckets) {
    std::map<std::string, std::vector<collision_side>, bool (*)(std::string_view, std::string_view)> by_dest(
        key_less);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        for (const auto& [k, o] : buckets.at(sources[i].bucket)) {
            if (!k.starts_with(sources[i].prefix)) continue;
            by_dest[sources[i].dest_prefix + k.substr(sources[i].prefix.size())].push_back(
                {i, k, o.size, o.etag});
        }
    }
    std::vector<collision> out;
    for (auto& [d, sides] : by_dest) {
        if (sides.size() < 2) continue;
        collision c;
        c.dest_key = d;
        c.identical = true;
        for (const auto& s : sides)
            if (s.size != sides[0].size || s.etag != sides[0].etag || s.etag.empty()) c.identical = false;
        c.sides = sides;
        out.push_back(std::move(c));
    }
    return out;
}

bool same(const std::vector<collision>& a, const std::vector<collision>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].dest_key != b[i].dest_key || a[i].identical != b[i].identical ||
            a[i].sides.size() != b[i].sides.size())
            return false;
        for (std::size_t j = 0; j < a[i].sides.size(); ++j)
            if (a[i].sides[j].source != b[i].sides[j].source || a[i].sides[j].key != b[i].sides[j].key)
                return false;
    }
    return true;
}

}  // namespace

TEST_CASE("collisions: CloudTrail regional buckets meet only at the region level") {
    std::map<std::string, bucket> buckets;
    std::vector<walk_source> sources;
    const char* regions[] = {"us-east-1", "eu-west-1", "ap-south-1"};
    for (const char* r : regions) {
        std::string b = std::string("ct-") + r;
        buckets[b] = make_bucket();
        for (int d = 1; d <= 3; ++d)
            buckets[b][std::string("AWSLogs/1/CloudTrail/") + r + "/2024/01/0" + std::to_string(d) +
                       "/f.json.gz"] = {};
        sources.push_back({b, "AWSLogs/1/CloudTrail/", "AWSLogs/1/CloudTrail/"});
    }
    std::size_t requests = 0;
    auto got = walk(sources, buckets, 1000, &requests);
    CHECK(got.empty());
    CHECK(requests == 3);  // one delimiter listing per bucket at the shared prefix

    // A region's logs copied by hand into another region's bucket: the same
    // keys now come from two sources.
    buckets["ct-eu-west-1"]["AWSLogs/1/CloudTrail/us-east-1/2024/01/02/f.json.gz"] = {1, "e"};
    buckets["ct-eu-west-1"]["AWSLogs/1/CloudTrail/us-east-1/2024/01/03/f.json.gz"] = {2, "other"};
    got = walk(sources, buckets, 2);
    REQUIRE(got.size() == 2);
    CHECK(got[0].dest_key == "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/f.json.gz");
    CHECK(got[0].identical);
    REQUIRE(got[0].sides.size() == 2);
    CHECK(got[0].sides[0].source == 0);
    CHECK(got[0].sides[1].source == 1);
    CHECK(got[1].dest_key == "AWSLogs/1/CloudTrail/us-east-1/2024/01/03/f.json.gz");
    CHECK_FALSE(got[1].identical);
    CHECK(same(got, model(sources, buckets)));
}

TEST_CASE("collisions: nested destination prefixes and prefixes that are not paths") {
    std::map<std::string, bucket> buckets;
    buckets["a"] = make_bucket();
    buckets["b"] = make_bucket();
    buckets["c"] = make_bucket();
    buckets["a"]["src/y/k1"] = {};
    buckets["a"]["src/y/k2"] = {};
    buckets["a"]["src/prek3"] = {};
    buckets["b"]["k1"] = {};
    buckets["b"]["k3"] = {};
    buckets["c"]["3"] = {};
    std::vector<walk_source> sources = {{"a", "src/", "x/"}, {"b", "", "x/y/"}, {"c", "", "x/prek"}};
    auto got = walk(sources, buckets, 1);
    auto want = model(sources, buckets);
    REQUIRE(want.size() == 2);  // x/y/k1 (a, b) and x/prek3 (a, c)
    CHECK(same(got, want));
    CHECK(ranges_meet("x/", "x/y/"));
    CHECK_FALSE(ranges_meet("x/a/", "x/b/"));
    CHECK(collision_roots({{"a", "", "p/"}, {"b", "", "q/"}}).empty());
}

TEST_CASE("collisions: random layouts against the brute-force model, every page size") {
    std::mt19937 rng(99);
    const char* parts[] = {"a", "b/", "c/", "\xC3\xA9/", "d", "/"};
    for (int round = 0; round < 150; ++round) {
        std::map<std::string, bucket> buckets;
        std::vector<walk_source> sources;
        const char* dests[] = {"", "x/", "x/b/", "xa", "x/c/d"};
        int nsrc = 2 + static_cast<int>(rng() % 3);
        for (int i = 0; i < nsrc; ++i) {
            std::string name = "b" + std::to_string(i);
            buckets[name] = make_bucket();
            for (int k = static_cast<int>(rng() % 12); k > 0; --k) {
                std::string key;
                for (int l = 1 + static_cast<int>(rng() % 4); l > 0; --l) key += parts[rng() % 6];
                buckets[name][key] = {rng() % 2, rng() % 3 ? "e" : "f"};
            }
            sources.push_back({name, "", dests[rng() % 5]});
        }
        auto want = model(sources, buckets);
        for (std::size_t page : {1, 2, 3, 1000}) {
            CAPTURE(round);
            CAPTURE(page);
            REQUIRE(same(walk(sources, buckets, page), want));
        }
    }
}

TEST_CASE("collisions: a page out of order or outside the prefix is an error") {
    std::vector<walk_source> sources = {{"a", "", "x/"}, {"b", "", "x/"}};
    auto roots = collision_roots(sources);
    REQUIRE(roots.size() == 1);
    // The root lists nothing itself: both enter at "x/".
    node_merge root(roots[0], sources);
    CHECK(root.wants().empty());
    auto children = root.take_children();
    REQUIRE(children.size() == 1);
    node_merge nm(children[0], sources);
    REQUIRE(nm.wants().size() == 2);
    diagnostics diag;
    s3::list_objects_v2_result bad;
    bad.objects = {{"b", 1, "e", "", ""}, {"a", 1, "e", "", ""}};
    CHECK(nm.push(0, bad, true, diag) == errc::malformed_response);
    CHECK(diag.detail.find("'a' came after 'b'") != std::string::npos);
    node_merge nm2(children[0], sources);
    s3::list_objects_v2_result outside;
    outside.common_prefixes = {"elsewhere/"};
    sources[1].prefix = "p/";
    node_merge nm3(children[0], sources);
    CHECK(nm3.push(1, outside, true, diag) == errc::malformed_response);
    // Pages across calls must keep ascending too.
    s3::list_objects_v2_result p1, p2;
    p1.objects = {{"m", 1, "e", "", ""}};
    p2.objects = {{"c", 1, "e", "", ""}};
    REQUIRE_FALSE(nm2.push(0, p1, false, diag));
    CHECK(nm2.push(0, p2, true, diag) == errc::malformed_response);
}
