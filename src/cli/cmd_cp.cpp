// s3merge cp: one server-side copy, verified against the source's HEAD
// (engine::verified_copy, as the engine does).
#include <cstdio>

#include "cli/common.hpp"
#include "s3merge/engine_io/verified_copy.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {
const char* usage = "s3merge cp s3://SRC_BUCKET/KEY s3://DST_BUCKET[/KEY|/PREFIX/] [options]";
const char* description =
    "Copy one object server-side (CopyObject): the bytes never pass through this machine.\n"
    "Metadata, content type and tags are copied. A destination ending in '/' (or a bare\n"
    "bucket) receives the source key's last path segment. The copy is checked against the\n"
    "source's size and ETag. Objects over 5 GiB need a multipart copy and are refused.";

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"storage-class", true, false, "CLASS", "storage class of the copy (default: the source's)"});
    s.push_back({"sse", true, false, "AES256|aws:kms", "server-side encryption of the copy"});
    s.push_back({"sse-kms-key-id", true, false, "KEY", "KMS key for --sse aws:kms"});
    return s;
}

constexpr std::uint64_t max_single_copy = 5ull << 30;
}  // namespace

int cmd_cp(const std::vector<std::string>& argv) {
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command("cp", usage, description, argv, spec, args); rc >= 0) return rc;
    if (args.positional.size() != 2) {
        print_usage_error("cp", "expected a source s3://BUCKET/KEY and a destination s3://BUCKET[/KEY]");
        return exit_usage;
    }
    std::string src_bucket, src_key, dst_bucket, dst_key;
    if (s3::parse_s3_uri(args.positional[0], src_bucket, src_key) || src_key.empty()) {
        print_usage_error("cp", "source '" + args.positional[0] + "' is not of the form s3://BUCKET/KEY");
        return exit_usage;
    }
    if (s3::parse_s3_uri(args.positional[1], dst_bucket, dst_key)) {
        print_usage_error("cp",
                          "destination '" + args.positional[1] + "' is not of the form s3://BUCKET[/KEY]");
        return exit_usage;
    }
    if (!check_bucket_arg("cp", src_bucket) || !check_bucket_arg("cp", dst_bucket)) return exit_usage;
    if (dst_key.empty() || dst_key.back() == '/') {
        auto slash = src_key.rfind('/');
        dst_key += slash == std::string::npos ? src_key : src_key.substr(slash + 1);
    }
    if (src_bucket == dst_bucket && src_key == dst_key) {
        print_usage_error("cp",
                          "source and destination are the same object s3://" + src_bucket + "/" + src_key);
        return exit_usage;
    }
    std::string sse = args.value("sse");
    if (!sse.empty() && sse != "AES256" && sse != "aws:kms") {
        print_usage_error("cp", "--sse must be AES256 or aws:kms");
        return exit_usage;
    }
    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;

    return run([&](asio::io_context& io) -> asio::awaitable<int> {
        s3::client client(io.get_executor(), cfg);
        diagnostics diag;
        if (auto ec = client.init(diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        s3::head_object_result head;
        // Named arguments, never temporaries, in co_await expressions: GCC 12
        // may destroy such temporaries twice (GCC PR100611).
        s3::head_object_params src_head_params{src_key, {}};
        if (auto ec = co_await client.head_object(src_bucket, src_head_params, head, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        if (head.size > max_single_copy) {
            say("s3merge: error: s3://%s/%s is %llu bytes, over the 5 GiB limit of a single "
                "CopyObject — multipart copy is not supported by 'cp'\n",
                src_bucket.c_str(), src_key.c_str(), static_cast<unsigned long long>(head.size));
            co_return exit_failed;
        }
        s3::copy_object_params p;
        p.source_bucket = src_bucket;
        p.source_key = src_key;
        p.key = dst_key;
        p.storage_class = args.value("storage-class");
        p.sse = sse;
        p.sse_kms_key_id = args.value("sse-kms-key-id");
        s3::copy_object_result res;
        if (auto ec =
                co_await engine::verified_copy(client, dst_bucket, p, head.size, head.etag, res, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        std::printf("copied s3://%s/%s -> s3://%s/%s (%llu bytes, ETag %s)\n", src_bucket.c_str(),
                    src_key.c_str(), dst_bucket.c_str(), dst_key.c_str(),
                    static_cast<unsigned long long>(head.size), res.etag.c_str());
        co_return exit_ok;
    });
}

}  // namespace s3merge::cli
