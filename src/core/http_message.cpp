#include "s3merge/http_message.hpp"

namespace s3merge {

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
