// s3merge mb / rb / put: small tools to prepare buckets and objects.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/common.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {

// Parses, handles --help and usage errors. Returns -1 to continue.
int prepare(std::string_view name, const char* usage, const char* description,
            const std::vector<std::string>& argv, std::vector<option_spec> spec, std::size_t npos,
            parsed_args& args, s3::client_config& cfg) {
    if (int rc = parse_command(name, usage, description, argv, spec, args); rc >= 0) return rc;
    if (args.positional.size() != npos) {
        print_usage_error(name, std::string("wrong number of arguments; usage: ") + usage);
        return exit_usage;
    }
    if (int rc = make_client_config(args, cfg)) return rc;
    return -1;
}

template <class Body>
int with_client(const s3::client_config& cfg, Body body) {
    return run([&](asio::io_context& io) -> asio::awaitable<int> {
        s3::client client(io.get_executor(), cfg);
        diagnostics diag;
        if (auto ec = client.init(diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        auto ec = co_await body(client, diag);
        if (ec) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        co_return exit_ok;
    });
}

}  // namespace

int cmd_mb(const std::vector<std::string>& argv) {
    const char* usage = "s3merge mb s3://BUCKET [--location-constraint REGION] [options]";
    auto spec = common_options();
    spec.push_back({"location-constraint", true, false, "REGION",
                    "CreateBucketConfiguration LocationConstraint (default: none, us-east-1)"});
    parsed_args args;
    s3::client_config cfg;
    if (int rc = prepare("mb", usage, "Create a bucket.", argv, spec, 1, args, cfg); rc >= 0) return rc;
    std::string bucket, key;
    if (s3::parse_s3_uri(args.positional[0], bucket, key) || !key.empty()) {
        print_usage_error("mb", "'" + args.positional[0] + "' is not of the form s3://BUCKET");
        return exit_usage;
    }
    s3::create_bucket_params p{args.value("location-constraint")};
    return with_client(cfg, [&](s3::client& c, diagnostics& d) -> asio::awaitable<std::error_code> {
        auto ec = co_await c.create_bucket(bucket, p, d);
        if (!ec) std::printf("make_bucket: %s\n", bucket.c_str());
        co_return ec;
    });
}

int cmd_rb(const std::vector<std::string>& argv) {
    const char* usage = "s3merge rb s3://BUCKET [options]";
    parsed_args args;
    s3::client_config cfg;
    if (int rc = prepare("rb", usage, "Delete an empty bucket.", argv, common_options(), 1, args, cfg);
        rc >= 0)
        return rc;
    std::string bucket, key;
    if (s3::parse_s3_uri(args.positional[0], bucket, key) || !key.empty()) {
        print_usage_error("rb", "'" + args.positional[0] + "' is not of the form s3://BUCKET");
        return exit_usage;
    }
    return with_client(cfg, [&](s3::client& c, diagnostics& d) -> asio::awaitable<std::error_code> {
        auto ec = co_await c.delete_bucket(bucket, d);
        if (!ec) std::printf("remove_bucket: %s\n", bucket.c_str());
        co_return ec;
    });
}

int cmd_put(const std::vector<std::string>& argv) {
    const char* usage = "s3merge put FILE s3://BUCKET/KEY [--content-type TYPE] [options]";
    auto spec = common_options();
    spec.push_back({"content-type", true, false, "TYPE", "Content-Type of the object"});
    spec.push_back({"storage-class", true, false, "CLASS", "storage class of the object"});
    parsed_args args;
    s3::client_config cfg;
    if (int rc = prepare("put", usage, "Upload a small file (up to 64 MiB) with one PutObject.", argv, spec,
                         2, args, cfg);
        rc >= 0)
        return rc;
    std::string bucket, key;
    if (s3::parse_s3_uri(args.positional[1], bucket, key) || key.empty()) {
        print_usage_error("put", "'" + args.positional[1] + "' is not of the form s3://BUCKET/KEY");
        return exit_usage;
    }
    // Only a regular file (or '-', standard input) is uploaded: a directory
    // or a device read as a stream would overwrite the object with 0 bytes
    // or whatever it yields. Checked before any request.
    const std::string& file = args.positional[0];
    std::ostringstream buf;
    if (file == "-") {
        buf << std::cin.rdbuf();
    } else {
        struct stat st;
        if (::stat(file.c_str(), &st) != 0) {
            print_usage_error("put", "cannot read '" + file + "': " + std::strerror(errno));
            return exit_usage;
        }
        if (!S_ISREG(st.st_mode)) {
            print_usage_error(
                "put",
                "'" + file + "' is " + (S_ISDIR(st.st_mode) ? "a directory" : "not a regular file") +
                    ": put uploads one regular file (or '-' for standard input); nothing was uploaded");
            return exit_usage;
        }
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            print_usage_error("put", "cannot read '" + file + "'");
            return exit_usage;
        }
        buf << in.rdbuf();
    }
    s3::put_object_params p;
    p.key = key;
    p.body = std::move(buf).str();
    if (p.body.size() > (64u << 20)) {
        say("s3merge put: '%s' is larger than 64 MiB\n", args.positional[0].c_str());
        return exit_usage;
    }
    p.content_type = args.value("content-type");
    p.storage_class = args.value("storage-class");
    return with_client(cfg, [&](s3::client& c, diagnostics& d) -> asio::awaitable<std::error_code> {
        s3::put_object_result r;
        auto size = p.body.size();
        auto ec = co_await c.put_object(bucket, p, r, d);
        if (!ec)
            std::printf("upload: s3://%s/%s (%zu bytes, ETag %s)\n", bucket.c_str(), key.c_str(), size,
                        r.etag.c_str());
        co_return ec;
    });
}

}  // namespace s3merge::cli
