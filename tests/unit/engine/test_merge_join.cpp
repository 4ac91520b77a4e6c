#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>

#include "s3merge/engine/merge_join.hpp"

using namespace s3merge;
using namespace s3merge::engine;
using s3::object_entry;

namespace {

object_entry obj(std::string key, std::uint64_t size, std::string etag) {
    object_entry o;
    o.key = std::move(key);
    o.size = size;
    o.etag = std::move(etag);
    return o;
}

struct outcome {
    std::string key, dest_key;
    action what;
    std::string reason;
    friend bool operator==(const outcome&, const outcome&) = default;
};

std::vector<outcome> collect(std::vector<decision> ds) {
    std::vector<outcome> r;
    for (auto& d : ds) r.push_back({d.source.key, d.dest_key, d.what, to_string(d.why)});
    return r;
}

// Brute force: look every source key up in a map of the destination.
std::vector<outcome> model(const std::vector<object_entry>& src, const std::vector<object_entry>& dst,
                           const key_map& m, bool overwrite) {
    std::map<std::string, object_entry> by_key;
    for (const auto& d : dst) {
        std::string k;
        if (m.to_source(d.key, k)) by_key[k] = d;
    }
    std::vector<outcome> r;
    for (const auto& s : src) {
        auto it = by_key.find(s.key);
        if (overwrite) {
            r.push_back({s.key, m.to_dest(s.key), action::copy, "overwrite"});
        } else if (it == by_key.end()) {
            r.push_back({s.key, m.to_dest(s.key), action::copy, "missing"});
        } else {
            decision d = compare_objects(s, m.to_dest(s.key), it->second.size, it->second.etag);
            r.push_back({s.key, d.dest_key, d.what, to_string(d.why)});
        }
    }
    return r;
}

std::vector<object_entry> page_at(const std::vector<object_entry>& v, std::size_t& pos, std::size_t n) {
    std::vector<object_entry> p(v.begin() + static_cast<long>(pos),
                                v.begin() + static_cast<long>(std::min(v.size(), pos + n)));
    pos += p.size();
    return p;
}

// Feeds pages of ps / pd entries following wants_*() and checks that no
// more than a page per side is ever held.
std::vector<outcome> run_flow(const std::vector<object_entry>& src, const std::vector<object_entry>& dst,
                              std::size_t ps, std::size_t pd, const key_map& m, bool overwrite) {
    merge_join mj(m, merge_options{overwrite});
    std::vector<outcome> out;
    std::size_t si = 0, di = 0;
    diagnostics diag;
    while (!mj.finished()) {
        bool progressed = false;
        if (mj.wants_source()) {
            REQUIRE_FALSE(mj.push_source(page_at(src, si, ps), diag));
            if (si == src.size()) mj.source_done();
            progressed = true;
        } else if (mj.wants_dest()) {
            REQUIRE_FALSE(mj.push_dest(page_at(dst, di, pd), diag));
            if (di == dst.size()) mj.dest_done();
            progressed = true;
        }
        CHECK(mj.buffered() <= ps + pd);
        auto part = collect(mj.pop_decisions());
        out.insert(out.end(), part.begin(), part.end());
        if (!progressed) REQUIRE(mj.finished());
    }
    return out;
}

// Pushes pages in a random order regardless of flow control.
std::vector<outcome> run_random(const std::vector<object_entry>& src, const std::vector<object_entry>& dst,
                                std::size_t ps, std::size_t pd, const key_map& m, std::mt19937& rng) {
    merge_join mj(m);
    std::vector<outcome> out;
    std::size_t si = 0, di = 0;
    bool sdone = false, ddone = false;
    diagnostics diag;
    while (!sdone || !ddone) {
        bool side = sdone ? false : ddone ? true : (rng() % 2 == 0);
        if (side) {
            REQUIRE_FALSE(mj.push_source(page_at(src, si, ps), diag));
            if (si == src.size()) mj.source_done(), sdone = true;
        } else {
            REQUIRE_FALSE(mj.push_dest(page_at(dst, di, pd), diag));
            if (di == dst.size()) mj.dest_done(), ddone = true;
        }
        if (rng() % 3 == 0) {
            auto part = collect(mj.pop_decisions());
            out.insert(out.end(), part.begin(), part.end());
        }
    }
    auto part = collect(mj.pop_decisions());
    out.insert(out.end(), part.begin(), part.end());
    CHECK(mj.finished());
    return out;
}

// Source keys under "src/", destination under "dst/x/"; unicode keys sorted
// as bytes; destination-only keys interleaved everywhere.
struct fixture {
    key_map m{"src/", "dst/x/"};
    std::vector<object_entry> src{
        obj("src/", 0, "d41d8cd98f00b204e9800998ecf8427e"),  // folder marker, same
        obj("src/a", 10, "aaaa"),                            // missing at dest
        obj("src/b", 10, "bbbb"),                            // same size and etag
        obj("src/c", 10, "cccc"),                            // etag differs
        obj("src/d", 11, "dddd"),                            // size differs
        obj("src/e", 5 << 20, "1111-2"),                     // multipart, same size, other etag: check
        obj("src/f", 5 << 20, "1111-2"),                     // multipart, size differs
        obj("src/g", 7, "ABCD"),                             // etag case differs: same
        obj("src/h", 7, "abcd"),                             // single vs multipart, same size: check
        obj("src/i", 7, ""),                                 // no etag, same size: check
        obj("src/m", 9 << 20, "9999-2"),                     // the same multipart etag: same
        obj("src/z", 1, "zz"),
        obj("src/\xC3\xA9", 2, "ee"),        // "é" sorts after "z"
        obj("src/\xE6\x97\xA5/k", 3, "jj"),  // "日"
    };
    std::vector<object_entry> dst{
        obj("dst/x/", 0, "d41d8cd98f00b204e9800998ecf8427e"),
        obj("dst/x/0-only-at-dest", 1, "x"),
        obj("dst/x/b", 10, "bbbb"),
        obj("dst/x/bb-only", 1, "x"),
        obj("dst/x/c", 10, "cccc-not"),
        obj("dst/x/d", 10, "dddd"),
        obj("dst/x/e", 5 << 20, "2222-3"),
        obj("dst/x/f", 6 << 20, "1111-2"),
        obj("dst/x/g", 7, "abcd"),
        obj("dst/x/h", 7, "abcd-1"),
        obj("dst/x/i", 7, "1234"),
        obj("dst/x/m", 9 << 20, "9999-2"),
        obj("dst/x/y-only", 1, "x"),
        obj("dst/x/\xC3\xA9", 2, "ee"),
        obj("dst/x/\xF0\x9F\x98\x80", 1, "only"),  // emoji, only at dest, after everything
    };
};

}  // namespace

TEST_CASE("merge-join decisions per rule") {
    fixture f;
    auto got = run_flow(f.src, f.dst, 1000, 1000, f.m, false);
    std::vector<outcome> want{
        {"src/", "dst/x/", action::skip, "same size and etag"},
        {"src/a", "dst/x/a", action::copy, "missing"},
        {"src/b", "dst/x/b", action::skip, "same size and etag"},
        {"src/c", "dst/x/c", action::check, "same size, etag not comparable"},  // dest etag has '-'
        {"src/d", "dst/x/d", action::replace, "size differs"},
        {"src/e", "dst/x/e", action::check, "same size, etag not comparable"},
        {"src/f", "dst/x/f", action::replace, "size differs"},
        {"src/g", "dst/x/g", action::skip, "same size and etag"},
        {"src/h", "dst/x/h", action::check, "same size, etag not comparable"},
        {"src/i", "dst/x/i", action::check, "same size, etag not comparable"},
        {"src/m", "dst/x/m", action::skip, "same size and etag"},
        {"src/z", "dst/x/z", action::copy, "missing"},
        {"src/\xC3\xA9", "dst/x/\xC3\xA9", action::skip, "same size and etag"},
        {"src/\xE6\x97\xA5/k", "dst/x/\xE6\x97\xA5/k", action::copy, "missing"},
    };
    CHECK(got == want);
    CHECK(got == model(f.src, f.dst, f.m, false));
}

TEST_CASE("single-part etags that differ at equal size: replace") {
    key_map m;
    auto got = run_flow({obj("k", 3, "aaaa")}, {obj("k", 3, "bbbb")}, 1, 1, m, false);
    REQUIRE(got.size() == 1);
    CHECK(got[0].what == action::replace);
    CHECK(got[0].reason == "etag differs");
    CHECK(std::string(to_string(action::replace)) == "replace");
}

// The rule that decides what a move may delete: same size is never enough.
// Every pair below has equal sizes and must not be called identical.
TEST_CASE("identity on evidence only: equal sizes with incomparable etags are never skipped") {
    const std::pair<const char*, const char*> not_evidence[] = {
        {"aaaa", "bbbb-2"},    // single-part source, multipart destination (other bytes, same size)
        {"aaaa-2", "bbbb"},    // multipart source, single-part destination
        {"aaaa-2", "bbbb-3"},  // two multipart layouts
        {"aaaa-2", "aaaa-3"},  // same digest text, other part count
        {"", "aaaa"},          // no source etag
        {"aaaa", ""},          // no destination etag
        {"", ""},              // none at all
    };
    for (const auto& [se, de] : not_evidence) {
        CAPTURE(se);
        CAPTURE(de);
        decision d = compare_objects(obj("k", 42, se), "k", 42, de);
        CHECK(d.what == action::check);
        CHECK(d.why == reason::unverifiable);
    }
    // Evidence: the same MD5 (any case), or the very same multipart etag.
    CHECK(compare_objects(obj("k", 42, "ABCD"), "k", 42, "abcd").what == action::skip);
    CHECK(compare_objects(obj("k", 42, "abcd-4"), "k", 42, "abcd-4").what == action::skip);
    CHECK(compare_objects(obj("k", 42, "abcd"), "k", 43, "abcd").what == action::replace);
    CHECK(compare_objects(obj("k", 42, "abcd"), "k", 42, "abce").why == reason::etag_differs);
    CHECK(is_single_part_etag("d41d8cd98f00b204e9800998ecf8427e"));
    CHECK_FALSE(is_single_part_etag("d41d8cd98f00b204e9800998ecf8427e-2"));
    CHECK_FALSE(is_single_part_etag(""));
}

TEST_CASE("full-object checksums decide identity; composite ones never do") {
    object_checksums a, b;
    CHECK(identity_from_checksums(a, b) == checksum_verdict::unknown);
    a.crc64nvme = "AAAAAAAAAAA=";
    b.crc32c = "BBBBBB==";
    CHECK(identity_from_checksums(a, b) == checksum_verdict::unknown);  // no algorithm in common
    b.crc64nvme = "AAAAAAAAAAA=";
    CHECK(identity_from_checksums(a, b) == checksum_verdict::identical);
    b.crc64nvme = "AAAAAAAAAAB=";
    CHECK(identity_from_checksums(a, b) == checksum_verdict::different);
    b.crc64nvme = "aaaaaaaaaaa=";  // base64 is case-sensitive
    CHECK(identity_from_checksums(a, b) == checksum_verdict::different);
    // Composite checksums of multipart uploads depend on the parts.
    object_checksums c, e;
    c.sha256 = "x/y=-3";
    e.sha256 = "x/y=-3";
    CHECK(identity_from_checksums(c, e) == checksum_verdict::unknown);
    c.type = e.type = "COMPOSITE";
    c.sha256 = e.sha256 = "x/y=";
    CHECK(identity_from_checksums(c, e) == checksum_verdict::unknown);
    c.type = e.type = "FULL_OBJECT";
    CHECK(identity_from_checksums(c, e) == checksum_verdict::identical);
    // One algorithm equal and another different: different.
    c.crc32 = "1111";
    e.crc32 = "2222";
    CHECK(identity_from_checksums(c, e) == checksum_verdict::different);
}

TEST_CASE("merge-join: identical decisions for every page size on both sides") {
    fixture f;
    const auto want = model(f.src, f.dst, f.m, false);
    std::mt19937 rng(7);
    for (std::size_t ps = 1; ps <= f.src.size() + 1; ++ps) {
        for (std::size_t pd = 1; pd <= f.dst.size() + 1; ++pd) {
            CAPTURE(ps);
            CAPTURE(pd);
            REQUIRE(run_flow(f.src, f.dst, ps, pd, f.m, false) == want);
            REQUIRE(run_random(f.src, f.dst, ps, pd, f.m, rng) == want);
        }
    }
}

TEST_CASE("merge-join: random data against the brute-force model") {
    std::mt19937 rng(1234);
    const char* alphabet[] = {"a", "b", "/", "z", "\xC3\xA9", "\xF0\x9F\x98\x80"};
    for (int round = 0; round < 200; ++round) {
        std::map<std::string, int, bool (*)(std::string_view, std::string_view)> keys(key_less);
        int n = static_cast<int>(rng() % 25);
        for (int i = 0; i < n; ++i) {
            std::string k;
            for (int l = 1 + static_cast<int>(rng() % 3); l > 0; --l) k += alphabet[rng() % 6];
            keys[k] = static_cast<int>(rng() % 4);  // 0 src only, 1 dest only, 2 both same, 3 both differ
        }
        // Different prefixes (keys mapped), the same prefix and none (keys
        // taken as they are).
        const std::pair<std::string, std::string> prefixes[] = {{"s/", "d/"}, {"p/", "p/"}, {"", ""}};
        const auto& [sp, dp] = prefixes[round % 3];
        key_map m(sp, dp);
        std::vector<object_entry> src, dst;
        for (auto& [k, kind] : keys) {
            if (kind != 1) src.push_back(obj(sp + k, 5, "e1"));
            if (kind != 0) dst.push_back(obj(dp + k, 5, kind == 3 ? "e2" : "e1"));
        }
        const auto want = model(src, dst, m, false);
        for (std::size_t ps : {1, 2, 3, 7, 100})
            for (std::size_t pd : {1, 2, 5, 100}) {
                REQUIRE(run_flow(src, dst, ps, pd, m, false) == want);
                REQUIRE(run_random(src, dst, ps, pd, m, rng) == want);
            }
    }
}

TEST_CASE("merge-join: empty sides") {
    fixture f;
    key_map m = f.m;
    std::vector<object_entry> none;
    auto all_copy = run_flow(f.src, none, 3, 3, m, false);
    REQUIRE(all_copy.size() == f.src.size());
    for (auto& o : all_copy) CHECK(o.what == action::copy);
    CHECK(run_flow(none, f.dst, 3, 3, m, false).empty());
    CHECK(run_flow(none, none, 3, 3, m, false).empty());

    // Once the source is exhausted the destination is not wanted at all.
    merge_join mj(m);
    mj.source_done();
    CHECK_FALSE(mj.wants_dest());
    CHECK(mj.finished());
}

TEST_CASE("merge-join: overwrite copies everything and ignores the destination") {
    fixture f;
    auto got = run_flow(f.src, f.dst, 2, 2, f.m, true);
    CHECK(got == model(f.src, f.dst, f.m, true));
    for (auto& o : got) CHECK(o.what == action::copy);
    merge_join mj(f.m, merge_options{true});
    CHECK_FALSE(mj.wants_dest());
    diagnostics diag;
    REQUIRE_FALSE(mj.push_source({obj("src/a", 1, "x")}, diag));
    CHECK(mj.pop_decisions().size() == 1);  // decided without any destination page
}

TEST_CASE("merge-join: decides as soon as the destination has passed the key") {
    key_map m;
    merge_join mj(m);
    diagnostics diag;
    REQUIRE_FALSE(mj.push_source({obj("a", 1, "x"), obj("c", 1, "x"), obj("e", 1, "x")}, diag));
    CHECK(mj.pop_decisions().empty());  // nothing known about the destination yet
    CHECK(mj.wants_dest());
    CHECK_FALSE(mj.wants_source());
    REQUIRE_FALSE(mj.push_dest({obj("b", 1, "x"), obj("c", 1, "x"), obj("d", 1, "x")}, diag));
    auto ds = collect(mj.pop_decisions());
    REQUIRE(ds.size() == 2);
    CHECK(ds[0] == outcome{"a", "a", action::copy, "missing"});
    CHECK(ds[1] == outcome{"c", "c", action::skip, "same size and etag"});
    CHECK(mj.wants_dest());  // "e" still waits
    mj.dest_done();
    ds = collect(mj.pop_decisions());
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].key == "e");
    CHECK(mj.wants_source());
    mj.source_done();
    CHECK(mj.finished());
}

TEST_CASE("merge-join: out-of-order pages and misuse are errors that leave the state unchanged") {
    key_map m("p/", "q/");
    merge_join mj(m);
    diagnostics diag;
    CHECK(mj.push_source({obj("p/b", 1, "x"), obj("p/a", 1, "x")}, diag) == errc::malformed_response);
    CHECK(diag.detail.find("'p/a' came after 'p/b'") != std::string::npos);
    CHECK(mj.buffered() == 0);
    REQUIRE_FALSE(mj.push_source({obj("p/b", 1, "x")}, diag));
    CHECK(mj.push_source({obj("p/b", 1, "x")}, diag) == errc::malformed_response);  // duplicate across pages
    CHECK(mj.push_source({obj("other/c", 1, "x")}, diag) == errc::malformed_response);  // outside prefix
    CHECK(mj.push_dest({obj("q/z", 1, "x"), obj("q/y", 1, "x")}, diag) == errc::malformed_response);
    // Bytes order: "é" after "z" is fine, "z" after "é" is not.
    CHECK_FALSE(mj.push_dest({obj("q/z", 1, "x"), obj("q/\xC3\xA9", 1, "x")}, diag));
    CHECK(mj.push_dest({obj("q/zz", 1, "x")}, diag) == errc::malformed_response);
    mj.source_done();
    CHECK(mj.push_source({obj("p/c", 1, "x")}, diag) == errc::invalid_argument);
    // Destination keys outside the destination prefix are ignored.
    merge_join mj2(m);
    CHECK_FALSE(mj2.push_dest({obj("elsewhere", 1, "x")}, diag));
    CHECK(mj2.buffered() == 0);
}
