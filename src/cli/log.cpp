// stderr in text or JSON lines. See log.hpp.
#include "cli/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace s3merge::cli {

namespace {
log_format format = log_format::text;

std::string now_iso() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
    return buf;
}
}  // namespace

void set_log_format(log_format f) {
    format = f;
}

log_format current_log_format() {
    return format;
}

void emit_log(const engine::log_record& r) {
    if (format == log_format::json) {
        auto line = encode_log_json(now_iso(), r);
        std::fprintf(stderr, "%s\n", line.c_str());
    } else {
        std::fprintf(stderr, "%.*s\n", int(r.message.size()), r.message.data());
    }
    std::fflush(stderr);
}

void emit_line(std::string_view line, std::string_view event) {
    engine::log_record r;
    r.event = event;
    r.message = line;
    if (line.find("warning:") != std::string_view::npos) r.level = engine::log_level::warning;
    if (line.find("error:") != std::string_view::npos || line.find("failed:") != std::string_view::npos)
        r.level = engine::log_level::error;
    emit_log(r);
}

}  // namespace s3merge::cli
