// s3merge entry point: dispatches to a command. Exceptions stop here.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/common.hpp"

namespace {

struct command {
    const char* name;
    s3merge::cli::command_fn fn;
    const char* summary;
};

const command commands[] = {
    {"cloudtrail", s3merge::cli::cmd_cloudtrail,
     "per-region CloudTrail buckets into the all-region bucket: plan|copy|move|verify|drop-sources"},
    {"copy", s3merge::cli::cmd_copy, "copy every object of sources into a destination, pipelined, resumable"},
    {"move", s3merge::cli::cmd_move, "as copy, then delete each source object once its copy is verified"},
    {"generate", s3merge::cli::cmd_generate,
     "write synthetic CloudTrail log objects (tests, demos, benchmarks)"},
    {"ls", s3merge::cli::cmd_ls, "list objects under s3://BUCKET[/PREFIX], streamed"},
    {"cp", s3merge::cli::cmd_cp, "copy one object server-side, verified"},
    {"mb", s3merge::cli::cmd_mb, "create a bucket"},
    {"rb", s3merge::cli::cmd_rb, "delete an empty bucket"},
    {"put", s3merge::cli::cmd_put, "upload a small local file"},
    {"batch", s3merge::cli::cmd_batch,
     "S3 Batch Operations jobs of what still needs copying: "
     "plan|submit|status|wait|confirm|report|finish-move"},
    {"report", s3merge::cli::cmd_report, "read run reports: show | compare A B | html ... -o OUT.html"},
};

void print_main_help() {
    std::printf(
        "usage: s3merge COMMAND [ARGS] [--help]\n\n"
        "Move and copy S3 objects between buckets with server-side copies.\n\ncommands:\n");
    for (const auto& c : commands) std::printf("  %-11s %s\n", c.name, c.summary);
    std::printf(
        "\nexit codes:\n"
        "  0    success\n"
        "  1    an S3 operation failed\n"
        "  2    bad command line or argument\n"
        "  3    credentials or configuration error\n"
        "  4    network, DNS, TLS or timeout error\n"
        "  5    partially done: some objects failed, the rest are copied (re-run to retry them)\n"
        "  6    another run of the same job is running (its lock is held)\n"
        "  130  interrupted (SIGINT/SIGTERM)\n");
}

}  // namespace

namespace {

// Listing pages (75-250 KB of XML, their parsed entries and decisions) are
// allocated and freed all the time. By default glibc serves blocks that size
// with fresh mmap()s and gives freed heap tops back at once, so every page
// costs page faults (on this kind of VM more than parsing it). Keeping them:
// blocks up to 4 MiB come from the heap, and up to 32 MiB of free heap top
// stays mapped. Peak memory does not change; it is not handed back early.
void tune_allocator() {
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
}

}  // namespace

int main(int argc, char** argv) {
    tune_allocator();
    try {
        if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
            !std::strcmp(argv[1], "help")) {
            print_main_help();
            return argc < 2 ? s3merge::cli::exit_usage : s3merge::cli::exit_ok;
        }
        if (!std::strcmp(argv[1], "--version")) {
            std::printf("s3merge 0.1.0\n");
            return 0;
        }
        std::vector<std::string> args(argv + 2, argv + argc);
        for (const auto& c : commands)
            if (!std::strcmp(argv[1], c.name)) return s3merge::cli::final_exit(c.fn(args));
        std::fprintf(stderr, "s3merge: unknown command '%s' (see 's3merge --help')\n", argv[1]);
        return s3merge::cli::exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "s3merge: internal error: %s\n", e.what());
        return s3merge::cli::exit_failed;
    }
}
