// The small-block cache and the global operator new/delete built on it
// (src/cli/heap.cpp is linked into this test binary as into s3merge).
#include <doctest/doctest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "s3merge/small_blocks.hpp"

namespace sb = s3merge::small_blocks;

TEST_CASE("small blocks: size classes") {
    CHECK(sb::class_for_request(1) == 1);
    CHECK(sb::class_for_request(16) == 1);
    CHECK(sb::class_for_request(17) == 2);
    CHECK(sb::class_for_request(sb::largest) == sb::classes - 1);
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
    sb::cache c{};
    alignas(16) static unsigned char a[64], b[64];
    CHECK(c.take(40) == nullptr);
    REQUIRE(c.keep(a, 56));  // class 3: requests of 33..48 bytes
    REQUIRE(c.keep(b, 56));
    CHECK(c.bytes == 2 * 48);
    CHECK(c.count[3] == 2);
    CHECK(c.take(49) == nullptr);  // class 4: larger than what is kept
    CHECK(c.take(32) == nullptr);  // class 2: kept blocks are not split or shared across classes
    CHECK(c.take(33) == b);
    CHECK(c.take(48) == a);
    CHECK(c.take(40) == nullptr);
    CHECK(c.bytes == 0);
    CHECK(c.count[3] == 0);
}

TEST_CASE("small blocks: too small, too large and over the cap go back to the caller") {
    sb::cache c{};
    alignas(16) static unsigned char blocks[8][600];
    CHECK_FALSE(c.keep(blocks[0], 8));                          // class 0: serves nothing
    CHECK_FALSE(c.keep(blocks[0], sb::largest + sb::granule));  // beyond the largest class
    CHECK(c.keep(blocks[0], sb::largest + sb::granule - 1));    // the largest class
    c.cap = 3 * sb::largest;
    CHECK(c.keep(blocks[1], sb::largest));
    CHECK(c.keep(blocks[2], sb::largest));
    CHECK_FALSE(c.keep(blocks[3], sb::largest));  // would pass the cap
    CHECK(c.bytes == 3 * sb::largest);
    CHECK_FALSE(c.keep(blocks[3], 24));  // the cap is reached exactly: not even the smallest
    std::vector<void*> released;
    c.release_all([&](void* p) { released.push_back(p); });
    CHECK(released.size() == 3);
    CHECK(c.bytes == 0);
    for (std::size_t k = 0; k < sb::classes; ++k) CHECK(c.count[k] == 0);
    CHECK(c.take(sb::largest) == nullptr);
}

TEST_CASE("small blocks: the default cap bounds what a thread keeps") {
    sb::cache c{};
    std::vector<void*> blocks;
    std::size_t kept = 0;
    for (int i = 0; i < 10000; ++i) {
        void* p = std::malloc(sb::bytes_for_class(8));
        blocks.push_back(p);
        if (c.keep(p, malloc_usable_size(p))) ++kept;
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

#if !defined(__SANITIZE_ADDRESS__)
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
#endif
