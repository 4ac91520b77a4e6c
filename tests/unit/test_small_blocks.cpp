// The small-block cache and the global operator new/delete built on it
// (src/cli/heap.cpp is linked into this test binary as into s3merge).
#include <doctest/doctest.h>
#include <malloc.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "s3merge/small_blocks.hpp"

namespace sb = s3merge::small_blocks;

namespace {
// For keeps that must not give anything back.
struct must_not_release {
    int* calls;
    void operator()(void*) const { ++*calls; }
};
}  // namespace

TEST_CASE("small blocks: size classes") {
    CHECK(sb::class_for_request(1) == 1);
    CHECK(sb::class_for_request(16) == 1);
    CHECK(sb::class_for_request(17) == 2);
    CHECK(sb::class_for_request(sb::largest) == sb::classes - 1);
    CHECK(sb::class_for_usable(sb::largest + sb::granule - 1) == sb::classes - 1);
    CHECK(sb::class_for_usable(sb::largest + sb::granule) == sb::classes);  // larger than every class
    // Tight both ways: a request gets the smallest class that holds it, and
    // a block is kept in the largest class it holds.
    for (std::size_t n = 1; n <= sb::largest; ++n) {
        std::size_t c = sb::class_for_request(n);
        REQUIRE(c < sb::classes);
        CHECK(sb::bytes_for_class(c) >= n);
        CHECK(sb::bytes_for_class(c - 1) < n);
        std::size_t k = sb::class_for_usable(n);
        CHECK(sb::bytes_for_class(k) <= n);
        CHECK(sb::bytes_for_class(k + 1) > n);
    }
    // A block malloc'ed at its class's size is kept in that class or a
    // larger one (glibc may hand out a little more than asked, never less),
    // and every class it is kept in holds only requests it can serve. Blocks
    // of every size are taken while others are held, so some come from
    // split chunks with a remainder.
    std::vector<void*> held;
    for (int round = 0; round < 4; ++round) {
        for (std::size_t c = 1; c < sb::classes; ++c) {
            void* p = std::malloc(sb::bytes_for_class(c));
            REQUIRE(p);
            std::size_t usable = malloc_usable_size(p);
            CHECK(usable >= sb::bytes_for_class(c));
            CHECK(sb::class_for_usable(usable) >= c);
            CHECK(sb::bytes_for_class(sb::class_for_usable(usable)) <= usable);
            if (c % 3 == 0)
                held.push_back(p);
            else
                std::free(p);
        }
    }
    for (void* p : held) std::free(p);
    // Every request is served by a block of at least its size.
    for (std::size_t n = 1; n <= sb::largest; ++n) CHECK(sb::bytes_for_class(sb::class_for_request(n)) >= n);
}

TEST_CASE("small blocks: a kept block serves its class, last in first out, and nothing larger") {
    int released_by_keep = 0;
    must_not_release none{&released_by_keep};
    sb::cache c{};
    alignas(16) static unsigned char a[64], b[64];
    CHECK(c.take(40) == nullptr);
    REQUIRE(c.keep(a, 56, none));  // class 3: requests of 33..48 bytes
    REQUIRE(c.keep(b, 56, none));
    CHECK(c.bytes == 2 * 48);
    CHECK(c.count[3] == 2);
    CHECK(c.take(49) == nullptr);  // class 4: larger than what is kept
    CHECK(c.take(32) == nullptr);  // class 2: kept blocks are not split or shared across classes
    CHECK(c.take(33) == b);
    CHECK(c.take(48) == a);
    CHECK(c.take(40) == nullptr);
    CHECK(c.bytes == 0);
    CHECK(c.count[3] == 0);
    CHECK(released_by_keep == 0);
}

TEST_CASE("small blocks: too small, too large and over the cap go back to the caller") {
    int released_by_keep = 0;
    must_not_release none{&released_by_keep};
    // keep() only links a block through its first word: small stand-ins do.
    alignas(16) static unsigned char blocks[8][16];
    sb::cache c{};
    CHECK_FALSE(c.keep(blocks[0], 8, none));                          // class 0: serves nothing
    CHECK_FALSE(c.keep(blocks[0], sb::largest + sb::granule, none));  // beyond the largest class
    CHECK_FALSE(c.keep_class(blocks[0], sb::classes, none));          // no such class
    CHECK(c.keep(blocks[0], sb::largest + sb::granule - 1, none));    // the largest class
    CHECK(c.take(sb::largest - 10) == blocks[0]);                     // the same class
    CHECK(c.bytes == 0);

    // The cap over all classes.
    c.cap = 3 * 512;
    CHECK(c.keep(blocks[0], 512, none));
    CHECK(c.keep(blocks[1], 512, none));
    CHECK(c.keep(blocks[2], 520, none));        // class 32 too (520 serves 512 bytes)
    CHECK_FALSE(c.keep(blocks[3], 512, none));  // would pass the cap
    CHECK(c.bytes == 3 * 512);
    CHECK_FALSE(c.keep(blocks[3], 24, none));  // the cap is reached exactly: not even the smallest
    std::vector<void*> released;
    c.release_all([&](void* p) { released.push_back(p); });
    CHECK(released.size() == 3);
    for (std::size_t k = 0; k < sb::classes; ++k) CHECK(c.count[k] == 0);
    CHECK(released_by_keep == 0);  // nothing was ever asked for: no class is staler than another
}

TEST_CASE("small blocks: a full cache gives back the class asked for least recently, never a fresher one") {
    alignas(16) static unsigned char blocks[16][16];
    std::vector<void*> given_back;
    auto release = [&](void* p) { given_back.push_back(p); };
    sb::cache c{};
    c.cap = 4 * 64;
    for (int i = 0; i < 4; ++i) REQUIRE(c.keep_class(blocks[i], 4, release));  // four of 64 bytes: full
    CHECK(c.take(64) == blocks[3]);                                            // class 4 asked for
    REQUIRE(c.keep_class(blocks[3], 4, release));
    CHECK(c.take(32) == nullptr);  // class 2 asked for, later: a miss
    // A block of class 2 does not fit: class 4, asked for before it, is given back whole.
    CHECK(c.keep_class(blocks[4], 2, release));
    CHECK(given_back.size() == 4);
    CHECK(c.count[4] == 0);
    CHECK(c.count[2] == 1);
    CHECK(c.bytes == 32);
    // Class 6 was never asked for: it may fill the room left, not take any.
    for (int i = 5; i < 7; ++i) CHECK(c.keep_class(blocks[i], 6, release));
    CHECK(c.bytes == 32 + 2 * 96);
    CHECK_FALSE(
        c.keep_class(blocks[7], 6, release));  // would pass the cap; class 2 is fresher, class 6 its own
    CHECK(given_back.size() == 4);
    // Now class 4 is asked for (a miss): class 6 (never asked) goes, class 2 stays.
    CHECK(c.take(50) == nullptr);
    CHECK(c.keep_class(blocks[8], 4, release));  // 32 + 192 + 64 > 256
    CHECK(c.count[6] == 0);
    CHECK(given_back.size() == 6);
    CHECK(c.keep_class(blocks[9], 4, release));
    CHECK(given_back.size() == 6);
    CHECK(c.count[2] == 1);
    CHECK(c.count[4] == 2);
    CHECK(c.bytes == 32 + 2 * 64);
    CHECK(c.take(20) == blocks[4]);
    c.release_all(release);
    CHECK(given_back.size() == 8);
    CHECK(c.bytes == 0);
}

TEST_CASE("small blocks: the default cap bounds what a thread keeps") {
    int released_by_keep = 0;
    must_not_release none{&released_by_keep};
    sb::cache c{};
    std::vector<void*> blocks;
    std::size_t kept = 0;
    const int n = static_cast<int>(sb::default_cap_bytes / sb::bytes_for_class(8)) + 2000;
    for (int i = 0; i < n; ++i) {
        void* p = std::malloc(sb::bytes_for_class(8));
        blocks.push_back(p);
        if (c.keep(p, malloc_usable_size(p), none)) ++kept;
    }
    // Full: at most the cap, and not one more block of the class fits (malloc
    // may hand out a block a class or two larger now and then, so about cap / 128).
    CHECK(c.bytes <= sb::default_cap_bytes);
    CHECK(c.bytes + sb::bytes_for_class(10) > sb::default_cap_bytes);
    CHECK(kept >= sb::default_cap_bytes / sb::bytes_for_class(10));
    CHECK(kept <= sb::default_cap_bytes / sb::bytes_for_class(8));
    CHECK(kept < blocks.size());
    std::set<void*> released;
    c.release_all([&](void* p) { released.insert(p); });
    CHECK(released.size() == kept);
    for (void* p : blocks) std::free(p);  // the cache gave them back without freeing them
}

TEST_CASE(
    "small blocks: the stash keeps blocks larger than a class and serves requests of about their size") {
    alignas(16) static unsigned char blocks[12][16];
    std::vector<void*> given_back;
    auto release = [&](void* p) { given_back.push_back(p); };
    sb::stash s{};
    CHECK(s.take(20000) == nullptr);
    // Only blocks larger than the largest class and at most stash_largest.
    CHECK_FALSE(s.keep(blocks[0], sb::largest, release));
    CHECK_FALSE(s.keep(blocks[0], sb::stash_largest + 1, release));
    REQUIRE(s.keep(blocks[0], sb::stash_largest, release));
    REQUIRE(s.keep(blocks[1], 16600, release));  // OpenSSL's record buffer: 16,584 bytes asked for
    // Served: a request it holds, wasting at most an eighth of the request.
    CHECK(s.take(16601) == nullptr);                  // too large for it
    CHECK(s.take(16600 * 8 / 9 - 1) == nullptr);      // it would waste more than an eighth
    CHECK(s.take(sb::stash_largest / 2) == nullptr);  // nor is the 64 KiB block split or given
    CHECK(s.take(16584) == blocks[1]);
    CHECK(s.take(16584) == nullptr);  // taken once
    CHECK(s.take(sb::stash_largest - 100) == blocks[0]);
    CHECK(given_back.empty());
    // Full: the block kept longest ago gives way, one at a time, round robin.
    for (std::size_t i = 0; i < sb::stash::slots; ++i) REQUIRE(s.keep(blocks[i], 20000 + i * 16, release));
    CHECK(given_back.empty());
    REQUIRE(s.keep(blocks[8], 30000, release));
    REQUIRE(given_back.size() == 1);
    CHECK(given_back[0] == blocks[0]);
    REQUIRE(s.keep(blocks[9], 30016, release));
    REQUIRE(given_back.size() == 2);
    CHECK(given_back[1] == blocks[1]);
    // A freed slot is filled before anything gives way.
    CHECK(s.take(20000 + 5 * 16) == blocks[5]);
    REQUIRE(s.keep(blocks[10], 40000, release));
    CHECK(given_back.size() == 2);
    CHECK(s.take(40000) == blocks[10]);
    CHECK(s.take(30000) == blocks[8]);
    s.release_all(release);
    CHECK(given_back.size() == 2 + 6);  // slots 2-4, 6, 7 and blocks[9]
    CHECK(s.take(20000 + 2 * 16) == nullptr);
}

#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("operator new/delete: OpenSSL's record buffers and pugixml's pages are served again") {
    // Under SSL_MODE_RELEASE_BUFFERS libssl takes and gives back a ~16.5 KiB
    // buffer around every TLS read and write (through CRYPTO_malloc, routed
    // here); pugixml allocates a ~32 KiB page for every document.
    for (std::size_t n : {std::size_t{16584}, std::size_t{32784}, sb::largest + 1}) {
        CAPTURE(n);
        // Anything this thread's stash holds that could serve n is taken out
        // first (and given back at the end), so only the block below can.
        const std::size_t smaller = std::max(n - n / 16, sb::largest + 1);  // a little smaller: still served
        std::vector<std::pair<void*, std::size_t>> held;
        for (std::size_t i = 0; i < sb::stash::slots; ++i) {
            held.emplace_back(::operator new(n), n);
            held.emplace_back(::operator new(smaller), smaller);
        }
        void* p = CRYPTO_malloc(n, __FILE__, __LINE__);
        REQUIRE(p);
        std::memset(p, 'a', n);
        CRYPTO_free(p, __FILE__, __LINE__);
        auto* q = static_cast<unsigned char*>(::operator new(n));
        CHECK(static_cast<void*>(q) == p);
        std::memset(q, 'b', n);
        CHECK(q[n - 1] == 'b');
        ::operator delete(q, n);  // sized: kept by its usable size all the same
        void* r = CRYPTO_malloc(smaller, __FILE__, __LINE__);
        CHECK(r == p);
        CRYPTO_free(r, __FILE__, __LINE__);
        for (auto [h, size] : held) ::operator delete(h, size);
    }
    // Another thread has its own stash: a block it frees is served to it again.
    void* mine = ::operator new(20000);
    std::thread t([&] {
        void* theirs = ::operator new(20000);
        std::memset(theirs, 'c', 20000);
        ::operator delete(theirs, 20000);
        void* again = ::operator new(20000);
        CHECK(again == theirs);
        ::operator delete(again, 20000);
    });
    t.join();
    ::operator delete(mine, 20000);
}

TEST_CASE("operator new/delete: a freed small block is reused by the same thread, data intact") {
    // The replacement in src/cli/heap.cpp is in this binary: a string's
    // buffer freed and another of the same class allocated get the same block.
    auto* first = new char[100];
    std::memset(first, 'x', 100);
    void* where = first;
    // The class it is kept in: its own (97..112 bytes), or a larger one when
    // malloc gave more than asked.
    const std::size_t kept_class = sb::class_for_usable(malloc_usable_size(first));
    CHECK(kept_class >= sb::class_for_request(100));
    delete[] first;
    const std::size_t n = sb::bytes_for_class(kept_class) - 3;  // a request of that class
    auto* second = new char[n];
    CHECK(static_cast<void*>(second) == where);
    std::memset(second, 'y', n);
    delete[] second;

    // Sized, unsized and array forms, and a block freed by size on another thread.
    std::vector<std::unique_ptr<std::string>> strings;
    for (int i = 0; i < 3000; ++i)
        strings.push_back(std::make_unique<std::string>(100 + i % 300, 'a' + i % 26));
    std::thread t([&] {
        strings.clear();  // freed on this thread, kept in its cache, given back when it ends
        for (int i = 0; i < 1000; ++i) {
            std::string s(50 + i % 400, 'z');
            CHECK(s.size() == std::size_t(50 + i % 400));
        }
    });
    t.join();
    for (int i = 0; i < 3000; ++i) {
        std::string s(100 + i % 300, 'a' + i % 26);
        CHECK(s[s.size() - 1] == 'a' + i % 26);
    }
    // Large requests bypass the cache.
    auto big = std::make_unique<char[]>(1 << 20);
    big[(1 << 20) - 1] = 1;
    CHECK(big[(1 << 20) - 1] == 1);
}

TEST_CASE("operator new/delete: a sized delete keeps the block in its request's class, which it serves") {
    // Small and largest classes: the block given back by size is the next one of that
    // class, and holds the whole class (it was malloc'ed at the class's size,
    // so the size alone names the class).
    for (std::size_t n : {std::size_t{1}, std::size_t{24}, std::size_t{100}, std::size_t{500}, sb::largest}) {
        CAPTURE(n);
        void* p = ::operator new(n);
        const std::size_t c = sb::class_for_request(n);
        CHECK(malloc_usable_size(p) >= sb::bytes_for_class(c));
        std::memset(p, 'q', n);
        ::operator delete(p, n);
        void* again = ::operator new(sb::bytes_for_class(c));  // the largest request of the class
        CHECK(again == p);
        std::memset(again, 'r', sb::bytes_for_class(c));
        ::operator delete(again, sb::bytes_for_class(c));
        void* smaller = ::operator new(c > 1 ? sb::bytes_for_class(c - 1) : 1);  // another class
        if (c > 1) CHECK(smaller != p);
        ::operator delete(smaller, c > 1 ? sb::bytes_for_class(c - 1) : 1);
    }
    // std::allocator (strings, vectors) gives back by size.
    std::allocator<char> a;
    char* s = a.allocate(200);
    a.deallocate(s, 200);
    char* t = a.allocate(193);  // the same class (193..208 bytes)
    CHECK(t == s);
    a.deallocate(t, 193);
}

TEST_CASE("operator new/delete: libcrypto allocates through the same cache") {
    // CRYPTO_set_mem_functions took effect before libcrypto's first
    // allocation: its small blocks (a few dozen per TLS exchange) are reused.
    void* p = CRYPTO_malloc(300, __FILE__, __LINE__);
    REQUIRE(p);
    std::memset(p, 'a', 300);
    // Freed without a size: kept in the class its usable size serves
    // (289..304 bytes, or a larger one if malloc gave more).
    const std::size_t kept = sb::bytes_for_class(sb::class_for_usable(malloc_usable_size(p)));
    CHECK(kept >= 304);
    CRYPTO_free(p, __FILE__, __LINE__);
    void* q = CRYPTO_malloc(kept - 10, __FILE__, __LINE__);
    CHECK(q == p);
    std::memset(q, 'b', kept - 10);
    // realloc keeps the contents; the block it returns is kept by its usable size.
    auto* r = static_cast<unsigned char*>(CRYPTO_realloc(q, 40000, __FILE__, __LINE__));
    REQUIRE(r);
    CHECK(r[0] == 'b');
    CHECK(r[kept - 11] == 'b');
    CRYPTO_free(r, __FILE__, __LINE__);
    void* small = CRYPTO_malloc(40, __FILE__, __LINE__);
    const std::size_t small_kept = sb::bytes_for_class(sb::class_for_usable(malloc_usable_size(small)));
    CHECK(small_kept >= 48);
    CRYPTO_free(small, __FILE__, __LINE__);
    void* small_again = CRYPTO_malloc(small_kept, __FILE__, __LINE__);
    CHECK(small_again == small);
    CRYPTO_free(small_again, __FILE__, __LINE__);
    // realloc from nothing and to nothing.
    void* fresh = CRYPTO_realloc(nullptr, 100, __FILE__, __LINE__);
    REQUIRE(fresh);
    CHECK(CRYPTO_realloc(fresh, 0, __FILE__, __LINE__) == nullptr);
}
#endif
