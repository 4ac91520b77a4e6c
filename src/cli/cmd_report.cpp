// s3merge report show|compare|html: reading the JSON reports of runs.
#include <cstdio>

#include "cli/common.hpp"
#include "cli/report_view.hpp"
#include "s3merge/engine/journal.hpp"

namespace s3merge::cli {

namespace {

const char* usage =
    "s3merge report show FILE.json | compare A.json B.json | html FILE.json [MORE.json ...] -o OUT.html |\n"
    "       merge SHARD.json ... -o MERGED.json";
const char* description =
    "Read the reports --report writes.\n"
    "  show     the summary tables: totals, sources, per-operation calls and latency percentiles, error\n"
    "           codes, hosts, the timeline's peak\n"
    "  compare  two runs side by side with ratios (B/A)\n"
    "  html     one self-contained HTML page (inline SVG, no script or external file): throughput over\n"
    "           time, the adaptive limit and throttles over time, latency distributions per operation and\n"
    "           per-source totals; several reports are overlaid for comparison\n"
    "  merge    the reports of a sharded run's shards (--shard I/N) as one: counts added, latency\n"
    "           histograms merged, timelines added; says which shards are missing (exit 1)";

// The label of a report in legends: its file name.
std::string label_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool load(const std::string& path, labelled_report& out) {
    std::error_code ec;
    auto text = engine::read_file_bounded(path, 512u << 20, ec);
    diagnostics d;
    if (ec) {
        d.operation = "read report";
        d.detail = "cannot read " + path + ": " + ec.message();
        print_error(make_error_code(errc::invalid_argument), d);
        return false;
    }
    if (auto dec = engine::decode_report(text, out.rep, d)) {
        d.detail = path + ": " + d.detail;
        print_error(dec, d);
        return false;
    }
    out.label = label_of(path);
    return true;
}

// Writes an output the user named; false after printing why it failed.
bool write_output(const std::string& path, const std::string& text, const char* operation) {
    std::error_code ec;
    engine::write_output_file(path, text, ec);
    if (!ec) return true;
    diagnostics d;
    d.operation = operation;
    d.detail = "cannot write " + path + ": " + ec.message();
    print_error(make_error_code(errc::invalid_argument), d);
    return false;
}

}  // namespace

int cmd_report(const std::vector<std::string>& argv) {
    std::vector<option_spec> spec = {
        {"output", true, false, "OUT.html", "html: the page to write (also -o)"},
        {"help", false, false, "", "show this help"},
    };
    // -o is the one short option.
    std::vector<std::string> args_in;
    for (std::size_t i = 0; i < argv.size(); ++i) args_in.push_back(argv[i] == "-o" ? "--output" : argv[i]);
    parsed_args args;
    if (int rc = parse_command("report", usage, description, args_in, spec, args); rc >= 0) return rc;
    const auto& pos = args.positional;
    const std::string sub = pos.empty() ? "" : pos[0];
    std::vector<labelled_report> reports;
    if (sub == "show" && pos.size() == 2) {
        reports.resize(1);
        if (!load(pos[1], reports[0])) return exit_usage;
        std::fputs(render_report_text(reports[0].rep).c_str(), stdout);
        return exit_ok;
    }
    if (sub == "compare" && pos.size() == 3) {
        reports.resize(2);
        if (!load(pos[1], reports[0]) || !load(pos[2], reports[1])) return exit_usage;
        std::fputs(render_report_compare(reports[0], reports[1]).c_str(), stdout);
        return exit_ok;
    }
    if (sub == "html" && pos.size() >= 2) {
        if (!args.has("output")) {
            print_usage_error("report", "html needs -o OUT.html");
            return exit_usage;
        }
        reports.resize(pos.size() - 1);
        for (std::size_t i = 1; i < pos.size(); ++i)
            if (!load(pos[i], reports[i - 1])) return exit_usage;
        const std::string out = args.value("output");
        if (auto why = engine::check_output_path(out); !why.empty()) {
            print_usage_error("report", "cannot write '" + out + "': " + why);
            return exit_usage;
        }
        if (!write_output(out, render_report_html(reports), "report html")) return exit_failed;
        std::printf("wrote %s (%zu report%s)\n", out.c_str(), reports.size(), reports.size() == 1 ? "" : "s");
        return exit_ok;
    }
    if (sub == "merge" && pos.size() >= 2) {
        if (!args.has("output")) {
            print_usage_error("report", "merge needs -o MERGED.json");
            return exit_usage;
        }
        reports.resize(pos.size() - 1);
        std::vector<engine::report> shards;
        for (std::size_t i = 1; i < pos.size(); ++i) {
            if (!load(pos[i], reports[i - 1])) return exit_usage;
            shards.push_back(std::move(reports[i - 1].rep));
        }
        std::string problem;
        auto merged = engine::merge_reports(shards, problem);
        const std::string out = args.value("output");
        if (!write_output(out, engine::encode_report(merged), "report merge")) return exit_failed;
        std::printf(
            "wrote %s: %zu shard reports, listed %llu, copied %llu, skipped %llu, deleted %llu, failed "
            "%llu\n",
            out.c_str(), shards.size(), (unsigned long long)merged.totals.listed,
            (unsigned long long)merged.totals.copied, (unsigned long long)merged.totals.skipped,
            (unsigned long long)merged.totals.deleted, (unsigned long long)merged.totals.failed);
        if (!problem.empty()) {
            diagnostics d;
            d.operation = "report merge";
            d.detail = problem + " (the merged report covers only the shards given)";
            print_error(make_error_code(errc::invalid_argument), d);
            return exit_failed;
        }
        return exit_ok;
    }
    print_usage_error("report",
                      "expected: show FILE.json | compare A.json B.json | html FILE.json... -o OUT.html | "
                      "merge SHARD.json... -o MERGED.json");
    return exit_usage;
}

}  // namespace s3merge::cli
