// Thin wrappers over OpenSSL libcrypto (EVP). No SSL/TLS here.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "s3merge/sigv4.hpp"

namespace s3merge::crypto {

namespace {
std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // EVP_Digest only fails on allocation failure; treat that as fatal.
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1)
        throw std::bad_alloc();
    return std::string(reinterpret_cast<const char*>(out), len);
}
} // namespace

std::string sha256_raw(std::string_view data) { return digest(EVP_sha256(), data); }

std::string sha256_hex(std::string_view data) { return hex(sha256_raw(data)); }

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
        throw std::bad_alloc();
    return std::string(reinterpret_cast<const char*>(out), len);
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
    static constexpr char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((raw.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < raw.size(); i += 3) {
        unsigned v = (unsigned char)raw[i] << 16 | (unsigned char)raw[i + 1] << 8 |
                     (unsigned char)raw[i + 2];
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

std::string md5_base64(std::string_view data) { return base64(digest(EVP_md5(), data)); }
std::string md5_hex(std::string_view data) { return hex(digest(EVP_md5(), data)); }

} // namespace s3merge::crypto
