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
std::string hex(std::string_view raw);
std::string base64(std::string_view raw);
std::string md5_base64(std::string_view data);
std::string md5_hex(std::string_view data);
std::string sha1_hex(std::string_view data);  // file names (the SSO token cache), not security

}  // namespace s3merge::crypto
