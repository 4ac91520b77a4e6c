// Job files (pure). See job_file.hpp.
#include "cli/job_file.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>

#include "engine/json_writer.hpp"

namespace s3merge::cli {

namespace {

bool not_in_jobs(std::string_view name) {
    return name == "job" || name == "print-job" || name == "help";
}

}  // namespace

bool parse_job_file(std::string_view json, std::string_view command, const std::vector<option_spec>& spec,
                    parsed_args& out, std::string& error) {
    out = parsed_args{};
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element root;
    simdjson::dom::object ro;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS ||
        root.get_object().get(ro) != simdjson::SUCCESS) {
        error = "not a JSON object";
        return false;
    }
    std::uint64_t version = 0;
    if (ro["s3merge_job"].get_uint64().get(version) != simdjson::SUCCESS || version != job_file_version) {
        error = "\"s3merge_job\": 1 is missing (not an s3merge job file, or of another version)";
        return false;
    }
    std::string_view cmd;
    if (ro["command"].get_string().get(cmd) != simdjson::SUCCESS) {
        error = "\"command\" is missing";
        return false;
    }
    if (cmd != command) {
        error =
            "it is a job for 's3merge " + std::string(cmd) + "', not 's3merge " + std::string(command) + "'";
        return false;
    }
    simdjson::dom::array positional;
    if (ro["arguments"].get_array().get(positional) == simdjson::SUCCESS) {
        for (auto a : positional) {
            std::string_view s;
            if (a.get_string().get(s) != simdjson::SUCCESS) {
                error = "\"arguments\" must be an array of strings";
                return false;
            }
            out.positional.emplace_back(s);
        }
    }
    simdjson::dom::object options;
    auto opt_field = ro["options"];
    if (opt_field.error() == simdjson::NO_SUCH_FIELD) return true;
    if (opt_field.get_object().get(options) != simdjson::SUCCESS) {
        error = "\"options\" must be an object";
        return false;
    }
    for (auto field : options) {
        std::string name(field.key);
        if (name == "filters") {
            // [["exclude", "*"], ["include", "*.json.gz"]]: in order.
            simdjson::dom::array rules;
            bool ok = field.value.get_array().get(rules) == simdjson::SUCCESS;
            for (auto rule : rules) {
                simdjson::dom::array pair;
                std::string_view kind, pattern;
                ok = ok && rule.get_array().get(pair) == simdjson::SUCCESS && pair.size() == 2 &&
                     pair.at(0).get_string().get(kind) == simdjson::SUCCESS &&
                     pair.at(1).get_string().get(pattern) == simdjson::SUCCESS &&
                     (kind == "include" || kind == "exclude");
                if (!ok) break;
                out.filters.emplace_back(std::string(kind), std::string(pattern));
                out.values[std::string(kind)].emplace_back(pattern);
            }
            if (!ok || std::find_if(spec.begin(), spec.end(),
                                    [](const option_spec& s) { return s.name == "include"; }) == spec.end()) {
                error =
                    "\"options\": \"filters\" must be [[\"include\"|\"exclude\", \"PATTERN\"], ...] (for a "
                    "command that takes --include/--exclude)";
                return false;
            }
            continue;
        }
        if (name == "include" || name == "exclude") {
            error = "\"options\": give --include/--exclude as \"filters\": [[\"" + name +
                    "\", \"PATTERN\"]] (their order matters)";
            return false;
        }
        auto it =
            std::find_if(spec.begin(), spec.end(), [&](const option_spec& s) { return s.name == name; });
        if (it == spec.end() || not_in_jobs(name)) {
            error = "\"options\": unknown option \"" + name + "\" for 's3merge " + std::string(command) + "'";
            return false;
        }
        auto scalar = [&](simdjson::dom::element e, std::string& v) {
            std::string_view s;
            std::uint64_t u = 0;
            std::int64_t i = 0;
            if (e.get_string().get(s) == simdjson::SUCCESS) return v.assign(s), true;
            if (e.get_uint64().get(u) == simdjson::SUCCESS) return v = std::to_string(u), true;
            if (e.get_int64().get(i) == simdjson::SUCCESS) return v = std::to_string(i), true;
            return false;
        };
        if (!it->takes_value) {
            bool b = false;
            if (field.value.get_bool().get(b) != simdjson::SUCCESS) {
                error = "\"options\": \"" + name + "\" is a flag: true or false";
                return false;
            }
            if (b) out.flags[name] = true;
            continue;
        }
        simdjson::dom::array arr;
        auto& vals = out.values[name];
        if (field.value.get_array().get(arr) == simdjson::SUCCESS) {
            if (!it->repeatable && arr.size() != 1) {
                error = "\"options\": \"" + name + "\" takes one value, not an array";
                return false;
            }
            for (auto e : arr) {
                std::string v;
                if (!scalar(e, v)) {
                    error = "\"options\": \"" + name + "\" holds a value that is not a string or number";
                    return false;
                }
                vals.push_back(std::move(v));
            }
        } else {
            std::string v;
            if (!scalar(field.value, v)) {
                error = "\"options\": \"" + name + "\" must be a string or number";
                return false;
            }
            vals.push_back(std::move(v));
        }
    }
    return true;
}

void merge_job_args(parsed_args& cmdline, const parsed_args& job) {
    if (cmdline.positional.empty()) cmdline.positional = job.positional;
    // Filters on the command line replace all of the job's (their order decides).
    if (cmdline.filters.empty()) {
        cmdline.filters = job.filters;
        for (const auto& [kind, pattern] : job.filters) cmdline.values[kind].push_back(pattern);
    }
    for (const auto& [name, vals] : job.values)
        if (name != "include" && name != "exclude" && !cmdline.values.count(name))
            cmdline.values[name] = vals;
    for (const auto& [name, on] : job.flags)
        if (!cmdline.flags.count(name)) cmdline.flags[name] = on;
}

std::string encode_job_file(std::string_view command, const parsed_args& args,
                            const std::vector<option_spec>& spec) {
    engine::json_writer w(true);
    w.begin_object();
    w.key("s3merge_job");
    w.int_value(job_file_version);
    w.field("command", command);
    if (!args.positional.empty()) {
        w.key("arguments");
        w.begin_array();
        for (const auto& p : args.positional) w.string_value(p);
        w.end_array();
    }
    w.key("options");
    w.begin_object();
    if (!args.filters.empty()) {
        w.key("filters");
        w.begin_array();
        for (const auto& [kind, pattern] : args.filters) {
            std::string pair = "[\"" + kind + "\", ";
            engine::append_json_string(pair, pattern);
            w.raw_value(pair + "]");
        }
        w.end_array();
    }
    for (const auto& s : spec) {  // in the command's option order
        if (not_in_jobs(s.name) || s.name == "include" || s.name == "exclude") continue;
        if (!s.takes_value) {
            if (args.flag(s.name)) w.field_bool(s.name, true);
            continue;
        }
        const auto& vals = args.all(s.name);
        if (vals.empty()) continue;
        if (s.repeatable) {
            w.key(s.name);
            w.begin_array();
            for (const auto& v : vals) w.string_value(v);
            w.end_array();
        } else {
            w.field(s.name, vals.back());
        }
    }
    w.end_object();
    w.end_object();
    return w.take() + "\n";
}

}  // namespace s3merge::cli
