#include <doctest/doctest.h>

#include <cstdio>

#include <ostream>  // doctest prints std::error_code with operator<<
#include "s3merge/crypto.hpp"

using namespace s3merge;

TEST_CASE("HMAC-SHA256: RFC 4231 test cases 1, 2 and 6 (key longer than a block)") {
    CHECK(crypto::hex(crypto::hmac_sha256_raw(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(crypto::hex(crypto::hmac_sha256_raw("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(crypto::hex(crypto::hmac_sha256_raw(std::string(131, '\xaa'),
                                              "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("HMAC-SHA256 under a prepared key: RFC 4231 answers, every message length, reused and copied") {
    auto mac = [](const crypto::hmac_sha256_key& k, std::string_view m) {
        unsigned char out[32];
        k.mac_into(m, out);
        return crypto::hex(std::string_view(reinterpret_cast<const char*>(out), 32));
    };
    const crypto::hmac_sha256_key jefe("Jefe");
    CHECK(mac(jefe, "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // The key's states are not used up by a MAC.
    CHECK(mac(jefe, "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const crypto::hmac_sha256_key longer(std::string(131, '\xaa'));
    CHECK(mac(longer, "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // Against RFC 2104 written out here over SHA-256, for keys of 0, 1, 32,
    // 64 and 65 bytes and messages across block boundaries.
    auto rfc2104 = [](std::string key, std::string_view msg) {
        if (key.size() > 64) key = crypto::sha256_raw(key);
        key.resize(64, '\0');
        std::string ipad = key, opad = key;
        for (auto& c : ipad) c = static_cast<char>(c ^ 0x36);
        for (auto& c : opad) c = static_cast<char>(c ^ 0x5c);
        return crypto::hex(crypto::sha256_raw(opad + crypto::sha256_raw(ipad + std::string(msg))));
    };
    for (std::size_t key_len : {0, 1, 32, 64, 65}) {
        const std::string key(key_len, static_cast<char>('k' + key_len));
        crypto::hmac_sha256_key prepared;
        prepared.set(key);
        const crypto::hmac_sha256_key copy = prepared;
        for (std::size_t len : {0, 1, 55, 56, 63, 64, 65, 119, 120, 200}) {
            const std::string msg(len, static_cast<char>('a' + len % 26));
            const std::string want = rfc2104(key, msg);
            CHECK(crypto::hex(crypto::hmac_sha256_raw(key, msg)) == want);
            CHECK(mac(prepared, msg) == want);
            CHECK(mac(copy, msg) == want);
        }
    }
    // set() replaces the key.
    crypto::hmac_sha256_key k("first");
    k.set("Jefe");
    CHECK(mac(k, "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("append_hex: two lower-case digits for every byte value, appended") {
    unsigned char all[256];
    for (int b = 0; b < 256; ++b) all[b] = static_cast<unsigned char>(b);
    std::string out = "x";
    crypto::append_hex(out, all, sizeof all);
    REQUIRE(out.size() == 1 + 512);
    CHECK(out[0] == 'x');
    char want[3];
    for (int b = 0; b < 256; ++b) {
        std::snprintf(want, sizeof want, "%02x", b);
        CHECK(out.substr(1 + 2 * static_cast<std::size_t>(b), 2) == want);
    }
}

TEST_CASE("SHA-256, MD5 and base64 known answers") {
    CHECK(crypto::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(crypto::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(crypto::md5_base64("") == "1B2M2Y8AsgTpgAmY7PhCfg==");
    CHECK(crypto::base64("f") == "Zg==");
    CHECK(crypto::base64("fo") == "Zm8=");
    CHECK(crypto::base64("foo") == "Zm9v");
    CHECK(crypto::base64("foobar") == "Zm9vYmFy");
}
