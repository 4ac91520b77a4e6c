// Job files (pure): every option of a run in one JSON file, for scheduled
// runs (`--job FILE`), and the current flags written as one
// (`--print-job`). The format:
//
//   {"s3merge_job": 1, "command": "cloudtrail copy",
//    "arguments": ["123456789012"],            // positional, optional
//    "options": {"concurrency": 64, "no-progress": true,
//                "source": ["s3://a/", "s3://b/"]}}
//
// Option names are the long flags without "--"; a flag is true (false
// leaves it off), a repeatable option takes an array. Flags on the command
// line override the file: an option given there replaces every value the
// file gives it; positional arguments on the command line replace the
// file's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/args.hpp"

namespace s3merge::cli {

constexpr int job_file_version = 1;

// Parses a job file for `command` ("copy", "cloudtrail copy"). False with a
// one-line error naming the field (unknown option, wrong command, ...).
bool parse_job_file(std::string_view json, std::string_view command, const std::vector<option_spec>& spec,
                    parsed_args& out, std::string& error);

// The command line's options over the job's.
void merge_job_args(parsed_args& cmdline, const parsed_args& job);

// The flags as a job file (without job, print-job and help).
std::string encode_job_file(std::string_view command, const parsed_args& args,
                            const std::vector<option_spec>& spec);

}  // namespace s3merge::cli
