#include "cli/args.hpp"

#include <algorithm>
#include <cstdlib>

namespace s3merge::cli {

bool parsed_args::flag(std::string_view name) const {
    auto it = flags.find(std::string(name));
    return it != flags.end() && it->second;
}

bool parsed_args::has(std::string_view name) const {
    return values.count(std::string(name)) > 0 || flag(name);
}

std::string parsed_args::value(std::string_view name, std::string fallback) const {
    auto it = values.find(std::string(name));
    if (it == values.end() || it->second.empty()) return fallback;
    return it->second.back();
}

const std::vector<std::string>& parsed_args::all(std::string_view name) const {
    static const std::vector<std::string> none;
    auto it = values.find(std::string(name));
    return it == values.end() ? none : it->second;
}

bool parse_args(const std::vector<std::string>& args, const std::vector<option_spec>& spec, parsed_args& out,
                std::string& error) {
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (options_done || a.size() < 3 || a.compare(0, 2, "--") != 0) {
            if (a == "--") {
                options_done = true;
                continue;
            }
            if (!options_done && a.size() > 1 && a[0] == '-' && a != "-") {
                if (a == "-h") {
                    out.flags["help"] = true;
                    continue;
                }
                error = "unknown option '" + a + "' (options are spelled --name)";
                return false;
            }
            out.positional.push_back(a);
            continue;
        }
        std::string name = a.substr(2);
        std::string inline_value;
        bool has_inline = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
            has_inline = true;
        }
        auto it =
            std::find_if(spec.begin(), spec.end(), [&](const option_spec& s) { return s.name == name; });
        if (it == spec.end()) {
            error = "unknown option '--" + name + "'";
            return false;
        }
        if (!it->takes_value) {
            if (has_inline) {
                error = "option '--" + name + "' takes no value";
                return false;
            }
            out.flags[name] = true;
            continue;
        }
        std::string v;
        if (has_inline) {
            v = inline_value;
        } else {
            if (i + 1 >= args.size()) {
                error = "option '--" + name + "' needs a value" +
                        (it->value_name.empty() ? std::string() : " (" + it->value_name + ")");
                return false;
            }
            v = args[++i];
        }
        auto& slot = out.values[name];
        if (!slot.empty() && !it->repeatable) {
            error = "option '--" + name + "' given more than once";
            return false;
        }
        if (name == "include" || name == "exclude") out.filters.emplace_back(name, v);
        slot.push_back(std::move(v));
    }
    return true;
}

std::string format_help(std::string_view usage, std::string_view description,
                        const std::vector<option_spec>& spec) {
    std::string out = "usage: " + std::string(usage) + "\n\n" + std::string(description) + "\n";
    if (spec.empty()) return out;
    out += "\noptions:\n";
    std::size_t width = 0;
    std::vector<std::string> lefts;
    for (const auto& s : spec) {
        std::string left = "  --" + s.name;
        if (s.takes_value) left += " " + (s.value_name.empty() ? std::string("VALUE") : s.value_name);
        width = std::max(width, left.size());
        lefts.push_back(std::move(left));
    }
    for (std::size_t i = 0; i < spec.size(); ++i) {
        out += lefts[i];
        out.append(width + 2 - lefts[i].size(), ' ');
        out += spec[i].help;
        out += '\n';
    }
    return out;
}

bool parse_uint(const std::string& text, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || (end && *end) || v < lo || v > hi) return false;
    out = v;
    return true;
}

}  // namespace s3merge::cli
