// Plain-text tables and number formatting for command output. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "s3merge/engine/report.hpp"

namespace s3merge::cli {

// Columns are padded to their widest cell; numeric columns (right_align)
// are right-aligned. Rows shorter than the header are padded with "".
struct text_table {
    std::vector<std::string> header;
    std::vector<bool> right_align;  // per column; missing = left
    std::vector<std::vector<std::string>> rows;
    std::string render() const;  // one line per row, trailing '\n', no trailing spaces
};

using engine::human_bytes;                  // "0 B", "1.5 KiB", "3.2 GiB"
std::string group_digits(std::uint64_t n);  // 1234567 -> "1,234,567"
std::string format_usd(double usd);         // "$0.0050", "$12.35"

}  // namespace s3merge::cli
