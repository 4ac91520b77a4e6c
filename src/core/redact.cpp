#include "s3merge/redact.hpp"

namespace s3merge {

std::string redact_canonical_request(std::string_view canonical) {
    // The canonical request carries the session token as a signed header
    // (and, for presigned requests, as a query parameter). Debug output must
    // never show it.
    std::string out;
    out.reserve(canonical.size());
    std::size_t pos = 0;
    while (pos <= canonical.size()) {
        auto nl = canonical.find('\n', pos);
        auto line = canonical.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        constexpr std::string_view header = "x-amz-security-token:";
        if (line.substr(0, header.size()) == header) {
            out += header;
            out += "<redacted>";
        } else if (auto q = line.find("X-Amz-Security-Token="); q != std::string_view::npos) {
            auto end = line.find('&', q);
            out += line.substr(0, q);
            out += "X-Amz-Security-Token=<redacted>";
            if (end != std::string_view::npos) out += line.substr(end);
        } else {
            out += line;
        }
        if (nl == std::string_view::npos) break;
        out += '\n';
        pos = nl + 1;
    }
    return out;
}

} // namespace s3merge
