// The program's global operator new and delete: small blocks (up to
// small_blocks::largest bytes) freed by a thread are kept in that thread's
// cache for its next allocations of the same class, up to
// small_blocks::default_cap_bytes; a few larger ones (up to
// small_blocks::stash_largest) wait in its stash for a request of about
// their size; everything else is malloc and free.
// See include/s3merge/small_blocks.hpp for why.
//
// A block is malloc'ed at its class's size (always, even once the thread's
// cache is gone), so a sized delete knows its class from the size alone; a
// delete without a size reads the class back from malloc_usable_size. When a
// thread ends its cache is given back to free, and anything freed after that
// (by later thread-local destructors) goes to free directly.
//
// OpenSSL's own allocations (a few dozen small blocks per TLS exchange) are
// routed here too, through CRYPTO_set_mem_functions before libcrypto
// allocates anything.
//
// Under AddressSanitizer the replacement is left out: a cache of freed
// blocks would hide a use after free from it.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S3MERGE_NO_HEAP_CACHE 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define S3MERGE_NO_HEAP_CACHE 1
#endif

#ifndef S3MERGE_NO_HEAP_CACHE

#include <malloc.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <new>

#include "s3merge/small_blocks.hpp"

namespace {

namespace sb = s3merge::small_blocks;

struct thread_state {
    sb::cache cache;
    sb::stash stash;
    bool registered;  // the flusher below is set up for this thread
    bool ended;       // the thread's thread-local destructors have run
};
constinit thread_local thread_state state{};

void free_block(void* p) noexcept {
    std::free(p);
}

struct flusher {
    flusher() = default;
    flusher(const flusher&) = delete;
    flusher& operator=(const flusher&) = delete;
    ~flusher() {
        state.ended = true;
        state.cache.release_all(free_block);
        state.stash.release_all(free_block);
    }
};

void register_flusher() noexcept {
    state.registered = true;
    static thread_local flusher f;
    (void)f;
}

void* try_allocate(std::size_t n) noexcept {
    if (n == 0) n = 1;
    // Larger blocks are not rounded up: live ones (OpenSSL's per-connection
    // state, large coroutine frames) would cost memory (classes up to 32 KiB
    // took peak RSS at 512 TLS connections from ~60 to ~66 MiB); the stash
    // serves a request only from a block at most an eighth larger.
    if (n > sb::largest) {
        if (n <= sb::stash_largest && !state.ended)
            if (void* p = state.stash.take(n)) return p;
        return std::malloc(n);
    }
    if (!state.ended)
        if (void* p = state.cache.take(n)) return p;
    return std::malloc(sb::bytes_for_class(sb::class_for_request(n)));
}

void* allocate(std::size_t n) {
    for (;;) {
        if (void* p = try_allocate(n)) return p;
        std::new_handler handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
}

// A block of unknown size: its class is what its usable size can serve.
void release(void* p) noexcept {
    if (!p) return;
    if (!state.ended) {
        if (!state.registered) register_flusher();
        const std::size_t usable = malloc_usable_size(p);
        if (usable > sb::largest ? state.stash.keep(p, usable, free_block)
                                 : state.cache.keep(p, usable, free_block))
            return;
    }
    std::free(p);
}

// A block allocated above for a request of n bytes: at least its class's
// size, so the class comes from n without asking malloc.
void release_sized(void* p, std::size_t n) noexcept {
    if (!p) return;
    if (n == 0) n = 1;
    if (n > sb::largest) {
        release(p);
        return;
    }
    if (!state.ended) {
        if (!state.registered) register_flusher();
        if (state.cache.keep_class(p, sb::class_for_request(n), free_block)) return;
    }
    std::free(p);
}

// libcrypto's allocator hooks (file and line are its debugging arguments).
void* crypto_malloc(std::size_t n, const char*, int) {
    return try_allocate(n);
}
void* crypto_realloc(void* p, std::size_t n, const char*, int) {
    if (!p) return try_allocate(n);
    if (n == 0) {
        release(p);
        return nullptr;
    }
    return std::realloc(p, n);  // every block here is malloc's: its usable size names its class when freed
}
void crypto_free(void* p, const char*, int) {
    release(p);
}

// Before main and before anything in the program has used libcrypto; if
// libcrypto has already allocated, it refuses and keeps malloc.
[[maybe_unused]] const bool crypto_hooked =
    CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) == 1;

}  // namespace

void* operator new(std::size_t n) {
    return allocate(n);
}
void* operator new[](std::size_t n) {
    return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    release(p);
}
void operator delete[](void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t n) noexcept {
    release_sized(p, n);
}
void operator delete[](void* p, std::size_t n) noexcept {
    release_sized(p, n);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    release(p);
}

#endif  // S3MERGE_NO_HEAP_CACHE
