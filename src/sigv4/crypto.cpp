// Thin wrappers over OpenSSL libcrypto. No SSL/TLS here.
//
// SHA-256 runs once or three times per signed request, so it uses
// libcrypto's direct SHA256_* functions (the same assembly, SHA-NI where
// the CPU has it) rather than EVP: in OpenSSL 3 every EVP digest
// initialisation allocates a provider context and goes through parameter
// lookups, which costs more than hashing a canonical request.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "s3merge/crypto.hpp"

namespace s3merge::crypto {

namespace {

// MD5 (Content-MD5 of uploads) goes through EVP. OpenSSL 3 looks an
// algorithm up by name on every EVP_md5()-style implicit fetch (a lock and a
// hash lookup each time): fetch once, and reuse one context per thread.
const EVP_MD* fetched(const char* name) {
    const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (!md) throw std::runtime_error(std::string("OpenSSL has no ") + name);
    return md;
}
const EVP_MD* md5_md() {
    static const EVP_MD* md = fetched("MD5");
    return md;
}
const EVP_MD* sha1_md() {
    static const EVP_MD* md = fetched("SHA1");
    return md;
}

struct ctx_holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~ctx_holder() { EVP_MD_CTX_free(ctx); }
};

// Digest of the concatenation a || b into out (EVP_MAX_MD_SIZE bytes).
unsigned digest_into(const EVP_MD* md, std::string_view a, std::string_view b, unsigned char* out) {
    thread_local ctx_holder holder;
    unsigned int len = 0;
    if (!holder.ctx || EVP_DigestInit_ex2(holder.ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(holder.ctx, a.data(), a.size()) != 1 ||
        (!b.empty() && EVP_DigestUpdate(holder.ctx, b.data(), b.size()) != 1) ||
        EVP_DigestFinal_ex(holder.ctx, out, &len) != 1)
        throw std::bad_alloc();  // only allocation failures can get here
    return len;
}

std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = digest_into(md, data, {}, out);
    return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

// SHA-256 of the concatenation a || b.
static void sha256_of(std::string_view a, std::string_view b, unsigned char (&out)[32]) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, a.data(), a.size());
    if (!b.empty()) SHA256_Update(&ctx, b.data(), b.size());
    SHA256_Final(out, &ctx);
}

std::string sha256_raw(std::string_view data) {
    unsigned char out[32];
    sha256_of(data, {}, out);
    return std::string(reinterpret_cast<const char*>(out), 32);
}

std::string sha256_hex(std::string_view data) {
    if (data.empty()) return "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    return hex(sha256_raw(data));
}

void sha256_into(std::string_view data, unsigned char (&out)[32]) {
    sha256_of(data, {}, out);
}

// HMAC-SHA256 (RFC 2104) over the cached digest: H((K^opad) || H((K^ipad) || m)).
void hmac_sha256_into(std::string_view key, std::string_view data, unsigned char (&out)[32]) {
    constexpr std::size_t block = 64;
    unsigned char k[block] = {};
    if (key.size() > block) {
        unsigned char hashed[32];
        sha256_of(key, {}, hashed);
        std::memcpy(k, hashed, 32);
    } else {
        std::memcpy(k, key.data(), key.size());
    }
    char ipad[block], opad[block];
    for (std::size_t i = 0; i < block; ++i) {
        ipad[i] = static_cast<char>(k[i] ^ 0x36);
        opad[i] = static_cast<char>(k[i] ^ 0x5c);
    }
    unsigned char inner[32];
    sha256_of(std::string_view(ipad, block), data, inner);
    sha256_of(std::string_view(opad, block), std::string_view(reinterpret_cast<const char*>(inner), 32), out);
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
    unsigned char out[32];
    hmac_sha256_into(key, data, out);
    return std::string(reinterpret_cast<const char*>(out), 32);
}

void append_hex(std::string& out, const unsigned char* raw, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    const std::size_t at = out.size();
    out.resize(at + 2 * n);
    char* o = out.data() + at;
    for (std::size_t i = 0; i < n; ++i) {
        *o++ = digits[raw[i] >> 4];
        *o++ = digits[raw[i] & 0xf];
    }
}

std::string hex(std::string_view raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.resize(raw.size() * 2);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        auto b = static_cast<unsigned char>(raw[i]);
        out[2 * i] = digits[b >> 4];
        out[2 * i + 1] = digits[b & 0xf];
    }
    return out;
}

std::string base64(std::string_view raw) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < raw.size(); i += 3) {
        unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8 | (unsigned char)raw[i + 2];
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == raw.size()) {
        unsigned v = (unsigned char)raw[i] << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == raw.size()) {
        unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string md5_base64(std::string_view data) {
    return base64(digest(md5_md(), data));
}
std::string md5_hex(std::string_view data) {
    return hex(digest(md5_md(), data));
}
std::string sha1_hex(std::string_view data) {
    return hex(digest(sha1_md(), data));
}

}  // namespace s3merge::crypto
