// The program's global operator new and delete: small blocks (up to
// small_blocks::largest bytes) freed by a thread are kept in that thread's
// cache for its next allocations of the same class, up to
// small_blocks::default_cap_bytes; everything else is malloc and free.
// See include/s3merge/small_blocks.hpp for why.
//
// A block is malloc'ed at its class's size, and its class when freed is
// read back from malloc_usable_size, so a block freed on another thread, or
// through a delete without a size, lands in the right class. When a thread
// ends its cache is given back to free, and anything freed after that (by
// later thread-local destructors) goes to free directly.
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

#include <cstdlib>
#include <new>

#include "s3merge/small_blocks.hpp"

namespace {

namespace sb = s3merge::small_blocks;

struct thread_state {
    sb::cache cache;
    bool registered;  // the flusher below is set up for this thread
    bool ended;       // the thread's thread-local destructors have run
};
constinit thread_local thread_state state{};

struct flusher {
    flusher() = default;
    flusher(const flusher&) = delete;
    flusher& operator=(const flusher&) = delete;
    ~flusher() {
        state.ended = true;
        state.cache.release_all([](void* p) { std::free(p); });
    }
};

void register_flusher() noexcept {
    state.registered = true;
    static thread_local flusher f;
    (void)f;
}

void* try_allocate(std::size_t n) noexcept {
    if (n <= sb::largest && !state.ended) {
        if (void* p = state.cache.take(n)) return p;
        return std::malloc(sb::bytes_for_class(sb::class_for_request(n == 0 ? 1 : n)));
    }
    return std::malloc(n == 0 ? 1 : n);
}

void* allocate(std::size_t n) {
    for (;;) {
        if (void* p = try_allocate(n)) return p;
        std::new_handler handler = std::get_new_handler();
        if (!handler) throw std::bad_alloc();
        handler();
    }
}

void release(void* p) noexcept {
    if (!p) return;
    if (!state.ended) {
        std::size_t usable = malloc_usable_size(p);
        if (usable <= sb::largest + sb::granule) {
            if (!state.registered) register_flusher();
            if (state.cache.keep(p, usable)) return;
        }
    }
    std::free(p);
}

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
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    release(p);
}

#endif  // S3MERGE_NO_HEAP_CACHE
