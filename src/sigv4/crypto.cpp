// Thin wrappers over OpenSSL libcrypto. No SSL/TLS here.
//
// SHA-256 runs once or three times per signed request, so it uses
// libcrypto's direct SHA256_* functions (the same assembly, SHA-NI where
// the CPU has it) rather than EVP: in OpenSSL 3 every EVP digest
// initialisation allocates a provider context and goes through parameter
// lookups, which costs more than hashing a canonical request.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
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

namespace {
constexpr std::size_t hmac_block = 64;
// The key's block (a longer key is hashed first), XORed with the pads.
void hmac_pads(std::string_view key, unsigned char (&ipad)[hmac_block], unsigned char (&opad)[hmac_block]) {
    unsigned char k[hmac_block] = {};
    if (key.size() > hmac_block) {
        unsigned char hashed[32];
        sha256_of(key, {}, hashed);
        std::memcpy(k, hashed, 32);
        OPENSSL_cleanse(hashed, sizeof hashed);
    } else {
        std::memcpy(k, key.data(), key.size());
    }
    for (std::size_t i = 0; i < hmac_block; ++i) {
        ipad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
        opad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
    }
    OPENSSL_cleanse(k, sizeof k);
}
}  // namespace

// HMAC-SHA256 (RFC 2104): H((K^opad) || H((K^ipad) || m)), by a key made
// ready for this one message.
void hmac_sha256_into(std::string_view key, std::string_view data, unsigned char (&out)[32]) {
    hmac_sha256_key(key).mac_into(data, out);
}

static_assert(sizeof(SHA256_CTX) <= 128 && alignof(SHA256_CTX) <= 8);

void hmac_sha256_key::set(std::string_view key) {
    unsigned char ipad[hmac_block], opad[hmac_block];
    hmac_pads(key, ipad, opad);
    SHA256_CTX inner, outer;
    SHA256_Init(&inner);
    SHA256_Update(&inner, ipad, hmac_block);
    SHA256_Init(&outer);
    SHA256_Update(&outer, opad, hmac_block);
    std::memcpy(inner_, &inner, sizeof inner);
    std::memcpy(outer_, &outer, sizeof outer);
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
}

hmac_sha256_key::hmac_sha256_key(const hmac_sha256_key& other) {
    std::memcpy(inner_, other.inner_, sizeof inner_);
    std::memcpy(outer_, other.outer_, sizeof outer_);
}

hmac_sha256_key& hmac_sha256_key::operator=(const hmac_sha256_key& other) {
    if (this != &other) {
        std::memcpy(inner_, other.inner_, sizeof inner_);
        std::memcpy(outer_, other.outer_, sizeof outer_);
    }
    return *this;
}

hmac_sha256_key::~hmac_sha256_key() {
    OPENSSL_cleanse(inner_, sizeof inner_);
    OPENSSL_cleanse(outer_, sizeof outer_);
}

void hmac_sha256_key::mac_into(std::string_view data, unsigned char (&out)[32]) const {
    // The states are copied out (SHA256_Final cleanses what it finishes).
    SHA256_CTX ctx;
    std::memcpy(&ctx, inner_, sizeof ctx);
    SHA256_Update(&ctx, data.data(), data.size());
    unsigned char inner[32];
    SHA256_Final(inner, &ctx);
    std::memcpy(&ctx, outer_, sizeof ctx);
    SHA256_Update(&ctx, inner, sizeof inner);
    SHA256_Final(out, &ctx);
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
    unsigned char out[32];
    hmac_sha256_into(key, data, out);
    return std::string(reinterpret_cast<const char*>(out), 32);
}

namespace {
// Both hex digits of each byte value, so a byte is one two-byte copy (two
// digests per signed request).
struct hex_pairs {
    char pair[256][2] = {};
    constexpr hex_pairs() {
        constexpr char digits[] = "0123456789abcdef";
        for (int b = 0; b < 256; ++b) {
            pair[b][0] = digits[b >> 4];
            pair[b][1] = digits[b & 0xf];
        }
    }
};
constexpr hex_pairs hex_table;
}  // namespace

void append_hex(std::string& out, const unsigned char* raw, std::size_t n) {
    const std::size_t at = out.size();
    out.resize(at + 2 * n);
    char* o = out.data() + at;
    for (std::size_t i = 0; i < n; ++i, o += 2) std::memcpy(o, hex_table.pair[raw[i]], 2);
}

std::string hex(std::string_view raw) {
    std::string out;
    append_hex(out, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
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

bool unhex(std::string_view text, std::string& raw) {
    raw.clear();
    if (text.size() % 2) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    raw.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = nibble(text[i]), lo = nibble(text[i + 1]);
        if (hi < 0 || lo < 0) {
            raw.clear();
            return false;
        }
        raw += static_cast<char>(hi << 4 | lo);
    }
    return true;
}

bool base64_decode(std::string_view text, std::string& raw) {
    raw.clear();
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4) return false;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++pad;
            } else if (pad || (v[k] = value(c)) < 0) {
                raw.clear();
                return false;
            }
        }
        unsigned n = unsigned(v[0]) << 18 | unsigned(v[1]) << 12 | unsigned(v[2]) << 6 | unsigned(v[3]);
        raw += static_cast<char>(n >> 16);
        if (pad < 2) raw += static_cast<char>((n >> 8) & 255);
        if (pad < 1) raw += static_cast<char>(n & 255);
    }
    return true;
}

struct sha256_stream::state {
    SHA256_CTX ctx;
};
sha256_stream::sha256_stream() : s_(new state) {
    SHA256_Init(&s_->ctx);
}
sha256_stream::~sha256_stream() {
    delete s_;
}
void sha256_stream::update(std::string_view data) {
    SHA256_Update(&s_->ctx, data.data(), data.size());
}
std::string sha256_stream::hex_digest() {
    unsigned char out[32];
    SHA256_Final(out, &s_->ctx);
    SHA256_Init(&s_->ctx);
    std::string h;
    append_hex(h, out, sizeof out);
    return h;
}

namespace {

struct pkey_deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

// An RSA public key from DER: PKCS#1 RSAPublicKey first, else SPKI.
pkey_ptr public_key(std::string_view der) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    EVP_PKEY* k = nullptr;
    OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&k, "DER", "type-specific", "RSA",
                                                           EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    if (dctx) {
        std::size_t len = der.size();
        if (!OSSL_DECODER_from_data(dctx, &p, &len)) k = nullptr;
        OSSL_DECODER_CTX_free(dctx);
    }
    if (k) return pkey_ptr(k);
    p = reinterpret_cast<const unsigned char*>(der.data());
    return pkey_ptr(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

bool rsa_sha256_verify(std::string_view public_key_der, std::string_view message,
                       std::string_view signature) {
    pkey_ptr key = public_key(public_key_der);
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return false;
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                            message.size()) == 1;
}

bool rsa_sha256_sign(std::string_view private_key_pem, std::string_view message, std::string& signature,
                     std::string& public_key_der) {
    BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
    if (!bio) return false;
    pkey_ptr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return false;
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1)
        return false;
    signature.resize(len);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
        return false;
    signature.resize(len);
    // The public half as PKCS#1 RSAPublicKey DER, as ListPublicKeys gives it.
    unsigned char* der = nullptr;
    std::size_t der_len = 0;
    OSSL_ENCODER_CTX* ectx =
        OSSL_ENCODER_CTX_new_for_pkey(key.get(), EVP_PKEY_PUBLIC_KEY, "DER", "type-specific", nullptr);
    if (!ectx) return false;
    const bool ok = OSSL_ENCODER_to_data(ectx, &der, &der_len) == 1;
    OSSL_ENCODER_CTX_free(ectx);
    if (!ok) return false;
    public_key_der.assign(reinterpret_cast<const char*>(der), der_len);
    OPENSSL_free(der);
    return true;
}

}  // namespace s3merge::crypto
