#include "cli/table.hpp"

#include <algorithm>
#include <cstdio>

namespace s3merge::cli {

std::string text_table::render() const {
    std::size_t cols = header.size();
    for (const auto& r : rows) cols = std::max(cols, r.size());
    std::vector<std::size_t> width(cols, 0);
    auto cell = [](const std::vector<std::string>& r, std::size_t i) -> const std::string& {
        static const std::string empty;
        return i < r.size() ? r[i] : empty;
    };
    for (std::size_t i = 0; i < cols; ++i) {
        width[i] = cell(header, i).size();
        for (const auto& r : rows) width[i] = std::max(width[i], cell(r, i).size());
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& r) {
        std::string l;
        for (std::size_t i = 0; i < cols; ++i) {
            const auto& c = cell(r, i);
            std::string pad(width[i] - c.size(), ' ');
            bool right = i < right_align.size() && right_align[i];
            if (i) l += "  ";
            l += right ? pad + c : c + pad;
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + '\n';
    };
    if (!header.empty()) line(header);
    for (const auto& r : rows) line(r);
    return out;
}

std::string group_digits(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string format_usd(double usd) {
    char buf[48];
    std::snprintf(buf, sizeof buf, usd < 1.0 ? "$%.4f" : "$%.2f", usd);
    return buf;
}

}  // namespace s3merge::cli
