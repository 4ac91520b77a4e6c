// s3merge ls: streams a listing page by page; memory holds one page.
#include <cstdio>

#include "cli/common.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {
const char* usage = "s3merge ls s3://BUCKET[/PREFIX] [--recursive] [options]";
const char* description =
    "List objects with last-modified time, size, storage class, ETag and key.\n"
    "Without --recursive, keys are grouped at the next '/' and shown as 'PRE prefix/'.\n"
    "The listing is streamed one page (up to 1,000 keys) at a time.";

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"recursive", false, false, "", "list every key under the prefix"});
    s.push_back({"page-size", true, false, "N", "keys per ListObjectsV2 page, 1..1000 (default 1000)"});
    s.push_back({"summarize", false, false, "", "print the object count and total size at the end"});
    return s;
}
}  // namespace

int cmd_ls(const std::vector<std::string>& argv) {
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command("ls", usage, description, argv, spec, args); rc >= 0) return rc;
    if (args.positional.size() != 1) {
        print_usage_error("ls", "expected one s3://BUCKET[/PREFIX] argument");
        return exit_usage;
    }
    std::string bucket, prefix;
    if (s3::parse_s3_uri(args.positional[0], bucket, prefix)) {
        print_usage_error("ls", "'" + args.positional[0] + "' is not of the form s3://BUCKET[/PREFIX]");
        return exit_usage;
    }
    int page_size = 1000;
    if (args.has("page-size")) {
        try {
            page_size = std::stoi(args.value("page-size"));
        } catch (...) {
            page_size = 0;
        }
        if (page_size < 1 || page_size > 1000) {
            print_usage_error("ls", "--page-size must be a number from 1 to 1000");
            return exit_usage;
        }
    }
    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    bool recursive = args.flag("recursive");
    bool summarize = args.flag("summarize");

    return run([&](asio::io_context& io) -> asio::awaitable<int> {
        s3::client client(io.get_executor(), cfg);
        diagnostics diag;
        if (auto ec = client.init(diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        s3::list_objects_v2_params p;
        p.prefix = prefix;
        p.max_keys = page_size;
        if (!recursive) p.delimiter = "/";
        std::uint64_t count = 0, bytes = 0;
        for (;;) {
            s3::list_objects_v2_result page;
            if (auto ec = co_await client.list_objects_v2(bucket, p, page, diag)) {
                std::fflush(stdout);
                print_error(ec, diag);
                co_return exit_code_for(ec);
            }
            for (const auto& cp : page.common_prefixes) std::printf("%30s PRE %s\n", "", cp.c_str());
            for (const auto& o : page.objects) {
                std::printf("%-24s %12llu %-12s %-34s %s\n", o.last_modified.c_str(),
                            static_cast<unsigned long long>(o.size), o.storage_class.c_str(), o.etag.c_str(),
                            o.key.c_str());
                ++count;
                bytes += o.size;
            }
            if (!page.is_truncated) break;
            if (page.next_continuation_token.empty()) {
                diag.detail = "truncated listing without a NextContinuationToken";
                print_error(make_error_code(errc::malformed_response), diag);
                co_return exit_failed;
            }
            p.continuation_token = page.next_continuation_token;
        }
        if (summarize) {
            std::printf("\nTotal Objects: %llu\n   Total Size: %llu\n",
                        static_cast<unsigned long long>(count), static_cast<unsigned long long>(bytes));
        }
        co_return exit_ok;
    });
}

}  // namespace s3merge::cli
