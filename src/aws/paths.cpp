#include "aws/paths.hpp"

namespace s3merge::aws::detail {

namespace {

bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string expand_vars(std::string_view path, const env_lookup& env) {
    std::string out;
    out.reserve(path.size());
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] != '$') {
            out += path[i++];
            continue;
        }
        std::string_view name;
        std::size_t next = i + 1;
        if (next < path.size() && path[next] == '{') {
            const auto close = path.find('}', next + 1);
            if (close != std::string_view::npos) {
                name = path.substr(next + 1, close - next - 1);
                next = close + 1;
            }
        } else {
            std::size_t e = next;
            while (e < path.size() && is_name_char(path[e])) ++e;
            name = path.substr(next, e - next);
            next = e;
        }
        std::optional<std::string> value;
        if (!name.empty()) value = env(name);
        if (value) {
            out += *value;
            i = next;
        } else {
            out += path[i++];  // not a variable, or unset: keep the '$' as written
        }
    }
    return out;
}

std::string expand_user(std::string_view path, const home_lookup& home) {
    if (!path.starts_with('~')) return std::string(path);
    const auto slash = path.find('/');
    const std::string_view user = path.substr(1, (slash == std::string_view::npos ? path.size() : slash) - 1);
    std::optional<std::string> dir = home(user);
    if (!dir) return std::string(path);
    while (!dir->empty() && dir->back() == '/') dir->pop_back();
    std::string out = *dir;
    if (slash != std::string_view::npos) out += path.substr(slash);
    return out.empty() ? std::string("/") : out;
}

std::string expand_path(std::string_view path, const env_lookup& env, const home_lookup& home) {
    return expand_user(expand_vars(path, env), home);
}

}  // namespace s3merge::aws::detail
