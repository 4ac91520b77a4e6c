#include <ostream>  // before doctest: it prints std::error_code

#include <doctest/doctest.h>

#include "s3merge/s3/endpoint.hpp"

using namespace s3merge;
using namespace s3merge::s3;

namespace {

struct resolved {
    std::error_code ec;
    target t;
    diagnostics diag;
};

resolved resolve(std::string endpoint_url, addressing_style style, std::string_view region,
                 std::string_view bucket) {
    resolved r;
    endpoint_options opts;
    opts.endpoint_url = std::move(endpoint_url);
    opts.style = style;
    r.ec = resolve_target(opts, region, bucket, r.t, r.diag);
    return r;
}

constexpr auto automatic = addressing_style::automatic;
constexpr auto path = addressing_style::path;
constexpr auto virt = addressing_style::virtual_hosted;

}  // namespace

TEST_CASE("parse_addressing_style accepts auto, path and virtual only") {
    addressing_style s = addressing_style::path;
    CHECK_FALSE(parse_addressing_style("auto", s));
    CHECK(s == addressing_style::automatic);
    CHECK_FALSE(parse_addressing_style("virtual", s));
    CHECK(s == addressing_style::virtual_hosted);
    CHECK_FALSE(parse_addressing_style("path", s));
    CHECK(s == addressing_style::path);
    for (std::string_view bad : {"", "Path", "virtual-hosted", "automatic", " path"})
        CHECK(parse_addressing_style(bad, s) == errc::invalid_argument);
    CHECK(s == addressing_style::path);  // unchanged on error
}

TEST_CASE("dns_suffix_for_region covers the AWS partitions") {
    CHECK(dns_suffix_for_region("us-east-1") == "amazonaws.com");
    CHECK(dns_suffix_for_region("eu-west-1") == "amazonaws.com");
    CHECK(dns_suffix_for_region("ap-southeast-3") == "amazonaws.com");
    CHECK(dns_suffix_for_region("cn-north-1") == "amazonaws.com.cn");
    CHECK(dns_suffix_for_region("cn-northwest-1") == "amazonaws.com.cn");
    CHECK(dns_suffix_for_region("us-gov-west-1") == "amazonaws.com");
    CHECK(dns_suffix_for_region("us-gov-east-1") == "amazonaws.com");
    CHECK(dns_suffix_for_region("us-iso-east-1") == "c2s.ic.gov");
    CHECK(dns_suffix_for_region("us-isob-east-1") == "sc2s.sgov.gov");
    CHECK(dns_suffix_for_region("eu-isoe-west-1") == "cloud.adc-e.uk");
    CHECK(dns_suffix_for_region("us-isof-south-1") == "csp.hci.ic.gov");
}

TEST_CASE("default_service_host") {
    CHECK(default_service_host("s3", "eu-west-1") == "s3.eu-west-1.amazonaws.com");
    CHECK(default_service_host("s3", "cn-north-1") == "s3.cn-north-1.amazonaws.com.cn");
    CHECK(default_service_host("sts", "us-gov-west-1") == "sts.us-gov-west-1.amazonaws.com");
    CHECK(default_service_host("ec2", "us-isob-east-1") == "ec2.us-isob-east-1.sc2s.sgov.gov");
    CHECK(default_service_host("sts", "us-iso-east-1") == "sts.us-iso-east-1.c2s.ic.gov");
}

TEST_CASE("parse_url") {
    parsed_url u;
    REQUIRE_FALSE(parse_url("http://127.0.0.1:7480", u));
    CHECK(u.scheme == "http");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 7480);
    CHECK(u.path == "");

    REQUIRE_FALSE(parse_url("https://s3.example.com", u));
    CHECK(u.port == 443);
    REQUIRE_FALSE(parse_url("http://minio.local", u));
    CHECK(u.port == 80);
    REQUIRE_FALSE(parse_url("HTTPS://S3.Example.COM:8443/", u));
    CHECK(u.scheme == "https");
    CHECK(u.host == "s3.example.com");
    CHECK(u.port == 8443);
    CHECK(u.path == "/");

    REQUIRE_FALSE(parse_url("http://[::1]:9000", u));
    CHECK(u.host == "::1");
    CHECK(u.port == 9000);
    REQUIRE_FALSE(parse_url("https://[2001:db8::7]/", u));
    CHECK(u.host == "2001:db8::7");
    CHECK(u.port == 443);
    REQUIRE_FALSE(parse_url("http://rgw.internal:8080/prefix/x", u));
    CHECK(u.path == "/prefix/x");
    REQUIRE_FALSE(parse_url("http://host:65535", u));
    CHECK(u.port == 65535);

    for (std::string_view bad : {"",
                                 "127.0.0.1:7480",
                                 "ftp://host",
                                 "s3://bucket",
                                 "http://",
                                 "http://:80",
                                 "http://host:",
                                 "http://host:0",
                                 "http://host:65536",
                                 "http://host:8o",
                                 "http://[::1",
                                 "http://[::1]x",
                                 "http://[]:80",
                                 "http://[zz::1]",
                                 "http://user:secret@host",
                                 "http://host?x=1",
                                 "http://host/p?x=1",
                                 "http://host#frag",
                                 "http://ho st",
                                 "http://a..b",
                                 "http://-/"})
        CHECK_MESSAGE(parse_url(bad, u) == errc::invalid_url, bad);
}

TEST_CASE("parse_s3_uri") {
    std::string b, k;
    REQUIRE_FALSE(parse_s3_uri("s3://bucket/key/with/slashes", b, k));
    CHECK(b == "bucket");
    CHECK(k == "key/with/slashes");
    REQUIRE_FALSE(parse_s3_uri("s3://bucket", b, k));
    CHECK(b == "bucket");
    CHECK(k == "");
    REQUIRE_FALSE(parse_s3_uri("s3://bucket/", b, k));
    CHECK(k == "");
    REQUIRE_FALSE(parse_s3_uri("s3://logs/日本語/ログ.json.gz", b, k));
    CHECK(b == "logs");
    CHECK(k == "日本語/ログ.json.gz");
    REQUIRE_FALSE(parse_s3_uri("s3://b//double//", b, k));
    CHECK(k == "/double//");
    REQUIRE_FALSE(parse_s3_uri("S3://b/a b+c?d#e", b, k));
    CHECK(k == "a b+c?d#e");

    for (std::string_view bad : {"", "bucket/key", "s3:/bucket/key", "s3://", "s3:///key",
                                 "https://bucket/key", "s3://bu cket/k", "s3://b?x/k"}) {
        diagnostics diag;
        CHECK_MESSAGE(parse_s3_uri(bad, b, k, diag) == errc::invalid_argument, bad);
        CHECK(diag.detail.find("expected s3://BUCKET") != std::string::npos);
        CHECK(parse_s3_uri(bad, b, k) == errc::invalid_argument);
    }
}

TEST_CASE("resolve_target: AWS defaults, virtual-hosted per partition") {
    auto r = resolve("", automatic, "eu-west-1", "my-bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.scheme == "https");
    CHECK(r.t.tls());
    CHECK(r.t.host == "my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(r.t.host_header == "my-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(r.t.port == 443);
    CHECK(r.t.bucket == "my-bucket");
    CHECK_FALSE(r.t.path_style);
    CHECK(r.t.region == "eu-west-1");
    CHECK(r.t.object_path("photos/2006/a b.jpg") == "/photos/2006/a b.jpg");
    CHECK(r.t.object_path("") == "/");
    CHECK(r.t.object_path("/leading") == "//leading");

    r = resolve("", automatic, "cn-north-1", "my-bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host == "my-bucket.s3.cn-north-1.amazonaws.com.cn");
    CHECK(r.t.region == "cn-north-1");

    r = resolve("", automatic, "us-gov-west-1", "my-bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host == "my-bucket.s3.us-gov-west-1.amazonaws.com");

    r = resolve("", automatic, "", "my-bucket");  // no region: us-east-1
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host == "my-bucket.s3.us-east-1.amazonaws.com");
    CHECK(r.t.region == "us-east-1");
}

TEST_CASE("resolve_target: dotted bucket over https falls back to path style") {
    auto r = resolve("", automatic, "eu-west-1", "logs.example.com");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.host == "s3.eu-west-1.amazonaws.com");
    CHECK(r.t.host_header == "s3.eu-west-1.amazonaws.com");
    CHECK(r.t.object_path("k/v.txt") == "/logs.example.com/k/v.txt");
    CHECK(r.t.object_path("") == "/logs.example.com");

    // Over plain http the certificate problem does not exist.
    r = resolve("http://s3.example.com", automatic, "us-east-1", "logs.example.com");
    REQUIRE_FALSE(r.ec);
    CHECK_FALSE(r.t.path_style);
    CHECK(r.t.host == "logs.example.com.s3.example.com");
}

TEST_CASE("resolve_target: explicit styles on AWS") {
    auto r = resolve("", path, "eu-west-1", "my-bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.host == "s3.eu-west-1.amazonaws.com");
    CHECK(r.t.object_path("a") == "/my-bucket/a");

    r = resolve("", virt, "eu-west-1", "my-bucket");
    REQUIRE_FALSE(r.ec);
    CHECK_FALSE(r.t.path_style);

    // An explicit virtual style is honoured for a dotted bucket.
    r = resolve("", virt, "eu-west-1", "a.b.c");
    REQUIRE_FALSE(r.ec);
    CHECK_FALSE(r.t.path_style);
    CHECK(r.t.host == "a.b.c.s3.eu-west-1.amazonaws.com");
}

TEST_CASE("resolve_target: IP and localhost endpoints default to path style") {
    auto r = resolve("http://127.0.0.1:7480", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.scheme == "http");
    CHECK_FALSE(r.t.tls());
    CHECK(r.t.host == "127.0.0.1");
    CHECK(r.t.port == 7480);
    CHECK(r.t.host_header == "127.0.0.1:7480");
    CHECK(r.t.object_path("x/y") == "/bkt/x/y");
    CHECK(r.t.object_path("") == "/bkt");

    r = resolve("http://localhost:9000", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.host_header == "localhost:9000");

    r = resolve("http://[::1]:9000", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.host == "::1");
    CHECK(r.t.host_header == "[::1]:9000");

    r = resolve("http://[::1]", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host_header == "[::1]");
    CHECK(r.t.port == 80);

    r = resolve("http://127.0.0.1:7480", virt, "us-east-1", "bkt");
    CHECK(r.ec == errc::invalid_url);
    CHECK(r.diag.detail.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("resolve_target: custom DNS endpoints and ports") {
    auto r = resolve("https://s3.example.com", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK_FALSE(r.t.path_style);
    CHECK(r.t.host == "bkt.s3.example.com");
    CHECK(r.t.host_header == "bkt.s3.example.com");

    r = resolve("https://s3.example.com:8443", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host_header == "bkt.s3.example.com:8443");
    CHECK(r.t.port == 8443);

    r = resolve("https://s3.example.com:443/", automatic, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host_header == "bkt.s3.example.com");

    r = resolve("http://minio.local:80", path, "us-east-1", "bkt");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host_header == "minio.local");
    CHECK(r.t.path_style);

    // Custom endpoints accept RGW-style relaxed names, always in the path.
    r = resolve("https://rgw.example.com", automatic, "default", "Legacy_Bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);
    CHECK(r.t.region == "default");
    CHECK(r.t.object_path("k") == "/Legacy_Bucket/k");
    r = resolve("https://rgw.example.com", virt, "default", "Legacy_Bucket");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.path_style);

    // Service-level target (no bucket).
    r = resolve("http://127.0.0.1:7480", automatic, "us-east-1", "");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.bucket.empty());
    CHECK(r.t.object_path("") == "/");
    r = resolve("", automatic, "eu-west-1", "");
    REQUIRE_FALSE(r.ec);
    CHECK(r.t.host == "s3.eu-west-1.amazonaws.com");
}

TEST_CASE("resolve_target: invalid endpoints") {
    auto r = resolve("http://rgw.example.com/prefix", automatic, "us-east-1", "bkt");
    CHECK(r.ec == errc::invalid_url);
    CHECK(r.diag.detail.find("path") != std::string::npos);
    CHECK(r.diag.detail.find("/prefix") != std::string::npos);

    r = resolve("rgw.example.com:7480", automatic, "us-east-1", "bkt");
    CHECK(r.ec == errc::invalid_url);
    CHECK(r.diag.detail.find("rgw.example.com:7480") != std::string::npos);

    r = resolve("http://rgw.example.com/", automatic, "us-east-1", "bkt");
    CHECK_FALSE(r.ec);

    r = resolve("", automatic, "eu west 1", "bkt1");
    CHECK(r.ec == errc::invalid_argument);
    CHECK(r.diag.detail.find("eu west 1") != std::string::npos);
}

TEST_CASE("resolve_target: AWS bucket names are validated") {
    for (std::string_view ok : {"abc", "my-bucket", "a.b.c", "123"}) {
        auto r = resolve("", automatic, "us-east-1", ok);
        CHECK_MESSAGE(!r.ec, ok);
    }
    std::string max63(63, 'a');
    CHECK_FALSE(resolve("", automatic, "us-east-1", max63).ec);

    std::string too_long(64, 'a');
    for (std::string_view bad :
         {std::string_view("ab"), std::string_view(too_long), std::string_view("MyBucket"),
          std::string_view("my_bucket"), std::string_view("-bucket"), std::string_view("bucket-"),
          std::string_view("a..b"), std::string_view("192.168.1.1"), std::string_view("bu/cket"),
          std::string_view("bu cket")}) {
        auto r = resolve("", automatic, "us-east-1", bad);
        CHECK_MESSAGE(r.ec == errc::invalid_argument, bad);
        CHECK(r.diag.detail.find("'" + std::string(bad) + "'") != std::string::npos);
    }
    // An amazonaws.com endpoint URL gets the AWS rules too.
    CHECK(resolve("https://s3.eu-west-1.amazonaws.com", automatic, "eu-west-1", "My_Bucket").ec ==
          errc::invalid_argument);
    // Custom endpoints: lenient, but never characters that need escaping.
    CHECK(resolve("http://127.0.0.1:7480", automatic, "us-east-1", "bu/cket").ec == errc::invalid_argument);
    CHECK(resolve("http://127.0.0.1:7480", automatic, "us-east-1", "b?x").ec == errc::invalid_argument);
    CHECK_FALSE(resolve("http://127.0.0.1:7480", automatic, "us-east-1", "ab").ec);
}
