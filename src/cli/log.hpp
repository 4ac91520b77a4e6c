// What the command line says on stderr: as text (default) or, with
// --log-format json, one JSON object per line for every status line,
// warning and failure:
//   {"time":"2026-12-04T05:00:00.123Z","level":"error","event":"failure",
//    "message":"...","operation":"CopyObject","bucket":"b","key":"k",
//    "region":"us-east-1","code":"SlowDown","http_status":503,"attempt":10}
// Fields without a value are left out. Never a secret: diagnostics hold
// none, and messages are the same lines the text format prints.
#pragma once

#include <string>
#include <string_view>

#include "s3merge/engine/log_record.hpp"

namespace s3merge::cli {

enum class log_format { text, json };

// Pure: the JSON line (no trailing newline) for a record at `time` (ISO 8601).
std::string encode_log_json(std::string_view time, const engine::log_record& r);

void set_log_format(log_format f);
log_format current_log_format();
// Writes a record to stderr in the current format (text: its message).
void emit_log(const engine::log_record& r);
// A line in text form: as is; in JSON, its level read from the text
// ("warning:" / "error:" / "failed:") and the given event.
void emit_line(std::string_view line, std::string_view event = "note");

}  // namespace s3merge::cli
