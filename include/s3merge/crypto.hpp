// Hashes, HMAC and encodings over OpenSSL's libcrypto (no TLS here).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace s3merge::crypto {
std::string sha256_hex(std::string_view data);
// Allocation-free forms for the signing hot path: 32-byte digests into `out`,
// lower-case hex appended to a string.
void sha256_into(std::string_view data, unsigned char (&out)[32]);
void hmac_sha256_into(std::string_view key, std::string_view data, unsigned char (&out)[32]);
void append_hex(std::string& out, const unsigned char* raw, std::size_t n);
std::string sha256_raw(std::string_view data);
std::string hmac_sha256_raw(std::string_view key, std::string_view data);

// An HMAC-SHA256 key made ready once: the hash states after the key's inner
// and outer pads, so that each MAC under it hashes only the message and the
// inner digest (two blocks fewer than hmac_sha256_into). Its bytes are
// cleansed when it is destroyed or replaced.
class hmac_sha256_key {
public:
    hmac_sha256_key() = default;
    explicit hmac_sha256_key(std::string_view key) { set(key); }
    hmac_sha256_key(const hmac_sha256_key& other);
    hmac_sha256_key& operator=(const hmac_sha256_key& other);
    ~hmac_sha256_key();
    void set(std::string_view key);
    // The same bytes as hmac_sha256_into(key, data, out).
    void mac_into(std::string_view data, unsigned char (&out)[32]) const;

private:
    // Two SHA256_CTX (112 bytes each in OpenSSL 3; checked where they are used).
    alignas(8) unsigned char inner_[128] = {};
    alignas(8) unsigned char outer_[128] = {};
};
std::string hex(std::string_view raw);
std::string base64(std::string_view raw);
std::string md5_base64(std::string_view data);
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);  // file names (the SSO token cache), not security

// The inverses: false on a character outside the alphabet or a bad length.
bool unhex(std::string_view hex_text, std::string& raw);
bool base64_decode(std::string_view text, std::string& raw);

// SHA-256 over data that arrives in pieces.
class sha256_stream {
public:
    sha256_stream();
    ~sha256_stream();
    sha256_stream(const sha256_stream&) = delete;
    sha256_stream& operator=(const sha256_stream&) = delete;
    void update(std::string_view data);
    std::string hex_digest();  // lower-case hex; the stream starts over
private:
    struct state;
    state* s_;
};

// RSA with SHA-256 (PKCS#1 v1.5), as CloudTrail signs digest files
// ("SHA256withRSA"). The public key is DER: an RSAPublicKey (PKCS#1, what
// CloudTrail's ListPublicKeys returns) or a SubjectPublicKeyInfo. False on
// a key that does not parse or a signature that does not match.
bool rsa_sha256_verify(std::string_view public_key_der, std::string_view message, std::string_view signature);
// Signs with a PEM private key; the signature raw, the public key as
// PKCS#1 DER. False when the key does not parse.
bool rsa_sha256_sign(std::string_view private_key_pem, std::string_view message, std::string& signature,
                     std::string& public_key_der);

}  // namespace s3merge::crypto
