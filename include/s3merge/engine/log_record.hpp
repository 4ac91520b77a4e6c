// One line for the user from the engine or the command line, with what it
// is about, so that a sink can write it as text or as a JSON object
// (--log-format json). Never holds a secret.
#pragma once

#include <string_view>

#include "s3merge/error.hpp"

namespace s3merge::engine {

enum class log_level { info, warning, error };

struct log_record {
    log_level level = log_level::info;
    std::string_view event;             // "failure", "listing_failed", "resume", "warning", "progress", ...
    std::string_view message;           // the line a human reads
    const diagnostics* diag = nullptr;  // bucket, key, region, code, attempts when known
};

const char* level_name(log_level l);

}  // namespace s3merge::engine
