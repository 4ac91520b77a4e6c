#include "s3merge/http_message.hpp"

namespace s3merge {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

namespace {
template <class Headers>
const std::string* find_in(const Headers& headers, std::string_view name) {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return &h.value;
    return nullptr;
}
}  // namespace

const std::string* http_request::find_header(std::string_view name) const {
    return find_in(headers, name);
}

void http_request::set_header(std::string_view name, std::string value) {
    for (auto& h : headers) {
        if (iequals(h.name, name)) {
            h.value = std::move(value);
            return;
        }
    }
    headers.push_back({std::string(name), std::move(value)});
}

const std::string* http_response::find_header(std::string_view name) const {
    return find_in(headers, name);
}

}  // namespace s3merge
