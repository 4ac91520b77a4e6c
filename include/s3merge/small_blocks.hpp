// A per-thread cache of freed small heap blocks, by size class.
//
// A listing page is read into ~1,000 entries of three or four strings each,
// which are all freed together a little later; glibc's own per-thread cache
// keeps 7 blocks of a size, the rest go to its bins and are sorted,
// coalesced and split again on the next page (a fifth of the client's CPU
// when listing). This cache keeps those blocks for the next page instead,
// up to a fixed number of bytes per thread. The global operator new/delete
// of the program (src/cli/heap.cpp) use it; it is pure and tested here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace s3merge::small_blocks {

inline constexpr std::size_t granule = 16;
inline constexpr std::size_t largest = 4096;  // larger requests go to malloc and back to free
inline constexpr std::size_t classes = largest / granule + 1;
inline constexpr std::size_t default_cap_bytes = std::size_t{1} << 21;

// The class that serves a request of n bytes: blocks of at least that many.
constexpr std::size_t class_for_request(std::size_t n) {
    return (n + granule - 1) / granule;
}
// The class a block of `usable` bytes can serve (`classes` or more when it
// is larger than every class).
constexpr std::size_t class_for_usable(std::size_t usable) {
    return usable / granule;
}
// What to ask malloc for on a miss, so the block serves its whole class.
constexpr std::size_t bytes_for_class(std::size_t c) {
    return c * granule;
}

// Trivially constructible and destructible (it lives in thread-local
// storage that the allocator itself uses): zero-initialised, no destructor.
//
// When a block does not fit under the cap, the blocks of the class asked for
// least recently are given back to make room (if that class was asked for
// less recently than the block's own): blocks freed in a burst that is not
// repeated (a thousand TLS handshakes at the start, say) would otherwise
// hold the whole cap for the rest of the run while the classes in use went
// to malloc and free for every block.
struct cache {
    void* head[classes];  // singly linked through each block's first word
    std::uint32_t count[classes];
    std::uint64_t asked[classes];  // `clock` at the last take() of the class, hit or miss
    std::uint64_t clock;
    std::size_t bytes;  // kept, by class size
    std::size_t cap;    // 0: default_cap_bytes

    // A kept block for a request of n bytes (n <= largest), or nullptr.
    void* take(std::size_t n) noexcept {
        std::size_t c = class_for_request(n == 0 ? 1 : n);
        asked[c] = ++clock;
        void* p = head[c];
        if (!p) return nullptr;
        head[c] = *static_cast<void**>(p);
        --count[c];
        bytes -= bytes_for_class(c);
        return p;
    }

    // Keeps a freed block of `usable` bytes (as malloc_usable_size says);
    // false when it is too large or the cache is full: the caller frees it.
    // Blocks given back to make room go to `release` (free).
    template <class Release>
    bool keep(void* p, std::size_t usable, Release&& release) noexcept {
        return keep_class(p, class_for_usable(usable), release);
    }

    // Keeps a freed block known to serve class c (at least bytes_for_class(c)
    // bytes); false when c is no class or the cache is full.
    template <class Release>
    bool keep_class(void* p, std::size_t c, Release&& release) noexcept {
        if (c == 0 || c >= classes) return false;
        const std::size_t size = bytes_for_class(c);
        const std::size_t limit = cap ? cap : default_cap_bytes;
        while (bytes + size > limit) {
            std::size_t stalest = classes;
            for (std::size_t k = 1; k < classes; ++k)
                if (count[k] && k != c && asked[k] < asked[c] &&
                    (stalest == classes || asked[k] < asked[stalest]))
                    stalest = k;
            if (stalest == classes) return false;
            release_class(stalest, release);
        }
        *static_cast<void**>(p) = head[c];
        head[c] = p;
        ++count[c];
        bytes += size;
        return true;
    }

    // Hands every kept block of class c to `release` (free).
    template <class Release>
    void release_class(std::size_t c, Release&& release) noexcept {
        while (void* p = head[c]) {
            head[c] = *static_cast<void**>(p);
            release(p);
        }
        bytes -= count[c] * bytes_for_class(c);
        count[c] = 0;
    }

    // Hands every kept block to `release` (free) and empties the cache.
    template <class Release>
    void release_all(Release&& release) noexcept {
        for (std::size_t c = 0; c < classes; ++c) release_class(c, release);
    }
};

// A few freed blocks too large for a class, each reused for a request of
// about its size: OpenSSL's record buffers (~16.5 KiB), which it takes and
// gives back around every TLS read and write under SSL_MODE_RELEASE_BUFFERS,
// and pugixml's pages (~32 KiB) would otherwise go through glibc's bins for
// every request. A block serves a request of n bytes when it holds n and
// wastes at most an eighth of n; nothing larger than stash_largest is kept.
// When every slot is taken, the block kept longest ago is given back (blocks
// freed once, by the handshakes at the start, must not hold the slots for
// the rest of the run). Zero-initialised, like cache.
inline constexpr std::size_t stash_largest = std::size_t{64} << 10;

struct stash {
    static constexpr std::size_t slots = 8;
    void* block[slots];
    std::size_t usable[slots];
    std::size_t next;  // the slot given back when all are taken: round robin

    void* take(std::size_t n) noexcept {
        for (std::size_t i = 0; i < slots; ++i)
            if (block[i] && usable[i] >= n && usable[i] - n <= n / 8) {
                void* p = block[i];
                block[i] = nullptr;
                return p;
            }
        return nullptr;
    }

    // Keeps a freed block of `usable` bytes; false when it is not larger
    // than a class or is larger than stash_largest: the caller frees it.
    // A block given back to make room goes to `release` (free).
    template <class Release>
    bool keep(void* p, std::size_t usable_bytes, Release&& release) noexcept {
        if (usable_bytes <= largest || usable_bytes > stash_largest) return false;
        std::size_t slot = slots;
        for (std::size_t i = 0; i < slots && slot == slots; ++i)
            if (!block[i]) slot = i;
        if (slot == slots) {
            slot = next;
            next = (next + 1) % slots;
            release(block[slot]);
        }
        block[slot] = p;
        usable[slot] = usable_bytes;
        return true;
    }

    template <class Release>
    void release_all(Release&& release) noexcept {
        for (std::size_t i = 0; i < slots; ++i)
            if (void* p = block[i]) {
                block[i] = nullptr;
                release(p);
            }
    }
};

}  // namespace s3merge::small_blocks
