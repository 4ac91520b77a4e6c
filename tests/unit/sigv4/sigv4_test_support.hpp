// Small helpers shared by the sigv4 unit tests.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "s3merge/http_message.hpp"
#include "s3merge/sigv4.hpp"

namespace s3merge::sigv4::test {

inline std::chrono::system_clock::time_point utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0,
                                                 int s = 0) {
    using namespace std::chrono;
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

// The value of a header, or "<absent>" so that a missing header fails an
// equality check with a readable message.
inline std::string header_or_absent(const http_request& req, std::string_view name) {
    const auto* v = req.find_header(name);
    return v ? *v : std::string("<absent>");
}

inline std::size_t count_headers(const http_request& req, std::string_view name) {
    std::size_t n = 0;
    for (const auto& h : req.headers)
        if (iequals(h.name, name)) ++n;
    return n;
}

// "…, Signature=<hex>" -> "<hex>"
inline std::string signature_of(std::string_view authorization) {
    auto pos = authorization.rfind("Signature=");
    return pos == std::string_view::npos ? std::string() : std::string(authorization.substr(pos + 10));
}

}  // namespace s3merge::sigv4::test
