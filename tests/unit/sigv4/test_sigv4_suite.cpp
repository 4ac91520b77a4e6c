// The AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30
// edition: https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html).
// Each vector's request is rebuilt as an http_request, signed, and the
// canonical request (.creq), string to sign (.sts) and Authorization header
// (.authz) are compared byte for byte with the published files.
//
// Skipped on purpose: the suite's normalize-path vectors get-relative,
// get-relative-relative, get-slash, get-slash-dot-slash,
// get-slash-pointless-dot and get-slashes. They expect "." / ".." removal and
// "//" collapsing, which applies to other services; S3 signs the path
// exactly as sent, so s3merge never normalises (test_sigv4_canonical.cpp
// checks that those paths are kept verbatim). normalize-path/get-space has
// nothing to normalise and is included.
//
// Two published vectors are internally inconsistent, see the notes on
// post-x-www-form-urlencoded and post-x-www-form-urlencoded-parameters.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "s3merge/sigv4.hpp"
#include "sigv4_test_support.hpp"

using namespace s3merge;
using namespace s3merge::sigv4;
using s3merge::sigv4::test::utc;

namespace {

const credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

signing_params suite_params() {
    signing_params p;
    p.region = "us-east-1";
    p.service = "service";
    p.now = utc(2015, 8, 30, 12, 36, 0);
    p.add_content_sha256_header = false;
    return p;
}

const std::string suite_token =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0"
    "wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDry"
    "pNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct suite_vector {
    const char* name;
    std::string method;
    std::string path;
    std::vector<query_param> query;
    std::vector<http_header> headers;  // as in the .req file, Host and X-Amz-Date included
    std::string body;
    std::string creq;
    std::string sts;
    std::string authz;
};

const http_header host_h{"Host", "example.amazonaws.com"};
const http_header date_h{"X-Amz-Date", "20150830T123600Z"};

std::vector<suite_vector> vectors() {
    return {
        {"get-vanilla",
         "GET",
         "/",
         {},
         {host_h, date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},

        // The suite's get-vanilla-query request carries no query at all.
        {"get-vanilla-query",
         "GET",
         "/",
         {},
         {host_h, date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},

        {"get-vanilla-empty-query-key",
         "GET",
         "/",
         {{"Param1", "value1"}},
         {host_h, date_h},
         "",
         "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},

        {"get-vanilla-query-order-key",
         "GET",
         "/",
         {{"Param1", "value2"}, {"Param1", "Value1"}},
         {host_h, date_h},
         "",
         "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},

        {"get-vanilla-query-order-key-case",
         "GET",
         "/",
         {{"Param2", "value2"}, {"Param1", "value1"}},
         {host_h, date_h},
         "",
         "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},

        {"get-vanilla-query-order-value",
         "GET",
         "/",
         {{"Param1", "value2"}, {"Param1", "value1"}},
         {host_h, date_h},
         "",
         "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},

        {"get-vanilla-query-unreserved",
         "GET",
         "/",
         {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
           "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
         {host_h, date_h},
         "",
         "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
         "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
         "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},

        {"get-vanilla-utf8-query",
         "GET",
         "/",
         {{"\xE1\x88\xB4", "bar"}},
         {host_h, date_h},
         "",
         "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},

        // GET /ሴ (U+1234): the path is encoded once, as S3 does.
        {"get-utf8",
         "GET",
         "/\xE1\x88\xB4",
         {},
         {host_h, date_h},
         "",
         "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},

        {"get-header-key-duplicate",
         "GET",
         "/",
         {},
         {host_h, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}, date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
         "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date, "
         "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},

        // The .req folds My-Header1 over three lines (obs-fold, deprecated by
        // RFC 7230 section 3.2.4). An http_request holds one single-line value
        // per header and our HTTP layer never folds, so the fold itself is not
        // representable. The suite's expected canonical form ("value1,value2,
        // value3") is exactly that of three repeated headers, which is how the
        // vector is expressed here.
        {"get-header-value-multiline",
         "GET",
         "/",
         {},
         {host_h, {"My-Header1", "value1"}, {"My-Header1", "value2"}, {"My-Header1", "value3"}, date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\n"
         "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "b7b6cbfd8a0430b78891e986784da2630c8a135a8595cec25b26ea94f926ee55",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date, "
         "Signature=ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790"},

        {"get-header-value-order",
         "GET",
         "/",
         {},
         {host_h,
          {"My-Header1", "value4"},
          {"My-Header1", "value1"},
          {"My-Header1", "value3"},
          {"My-Header1", "value2"},
          date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
         "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date, "
         "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},

        // "My-Header1: value1" and "My-Header2: \"a   b   c\"": the space after
        // the colon is part of the raw value here, as a naive parser would keep it.
        {"get-header-value-trim",
         "GET",
         "/",
         {},
         {host_h, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}, date_h},
         "",
         "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
         "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
         "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},

        {"get-unreserved",
         "GET",
         "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         {},
         {host_h, date_h},
         "",
         "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n"
         "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},

        // normalize-path/get-space: nothing to normalise; the trailing '/' stays.
        {"get-space",
         "GET",
         "/example space/",
         {},
         {host_h, date_h},
         "",
         "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},

        {"post-vanilla",
         "POST",
         "/",
         {},
         {host_h, date_h},
         "",
         "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},

        {"post-vanilla-query",
         "POST",
         "/",
         {{"Param1", "value1"}},
         {host_h, date_h},
         "",
         "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},

        {"post-vanilla-empty-query-value",
         "POST",
         "/",
         {{"Param1", "value1"}},
         {host_h, date_h},
         "",
         "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},

        // post-header-key-case sends "X-Amz-Date"; names are lower-cased.
        {"post-header-key-case",
         "POST",
         "/",
         {},
         {host_h, date_h},
         "",
         "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},

        {"post-header-key-sort",
         "POST",
         "/",
         {},
         {host_h, {"My-Header1", "value1"}, date_h},
         "",
         "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
         "host;my-header1;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date, "
         "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},

        {"post-header-value-case",
         "POST",
         "/",
         {},
         {host_h, {"My-Header1", "VALUE1"}, date_h},
         "",
         "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
         "host;my-header1;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date, "
         "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},

        // The published files disagree: the current .req/.creq add
        // "Content-Length:13" and sign content-length, but the .sts hash
        // (42a5e5bb…) and the .authz (SignedHeaders=content-type;host;
        // x-amz-date, Signature=ff118979…) were computed without it; SHA-256
        // of the published .creq is a1a6cdc4…, not 42a5e5bb…. We use the
        // request the .sts/.authz were made from (no Content-Length) and
        // assert the published .sts and .authz exactly; the canonical request
        // below is the published one without its content-length line, whose
        // SHA-256 is the published 42a5e5bb….
        {"post-x-www-form-urlencoded",
         "POST",
         "/",
         {},
         {{"Content-Type", "application/x-www-form-urlencoded"}, host_h, date_h},
         "Param1=value1",
         "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date, "
         "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},

        // Same story: the current files say "charset=utf-8" plus
        // Content-Length, but the .sts (2e1cf7ed…) and .authz (1a72ec8f…)
        // match the suite's original request, "charset=utf8" and no
        // Content-Length, which is the one used here.
        {"post-x-www-form-urlencoded-parameters",
         "POST",
         "/",
         {},
         {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}, host_h, date_h},
         "Param1=value1",
         "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n"
         "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
         "content-type;host;x-amz-date\n"
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
         "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
         "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date, "
         "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    };
}

// The SignedHeaders line of a canonical request: the last line but one.
std::string signed_headers_line(const std::string& creq) {
    const auto last = creq.rfind('\n');
    const auto before = creq.rfind('\n', last - 1);
    return creq.substr(before + 1, last - before - 1);
}

http_request make_request(const suite_vector& v) {
    http_request req;
    req.method = v.method;
    req.host = "example.amazonaws.com";
    req.path = v.path;
    req.query = v.query;
    req.headers = v.headers;
    req.body = v.body;
    return req;
}

}  // namespace

TEST_CASE("sigv4 test suite: canonical request, string to sign and Authorization") {
    for (const auto& v : vectors()) {
        SUBCASE(v.name) {
            auto req = make_request(v);
            signer s;
            signing_debug dbg;
            s.sign(req, suite_creds, suite_params(), &dbg);
            CHECK(dbg.canonical_request == v.creq);
            CHECK(dbg.string_to_sign == v.sts);
            CHECK(test::header_or_absent(req, "Authorization") == v.authz);
            // The pure pieces agree with what sign() produced.
            auto unsigned_req = make_request(v);
            CHECK(signer::signed_headers(unsigned_req) == signed_headers_line(v.creq));
            CHECK(signer::canonical_request(unsigned_req, signer::signed_headers(unsigned_req),
                                            signer::payload_hash(unsigned_req)) == v.creq);
            // The suite's requests carry Host and X-Amz-Date already; the
            // signer must not duplicate them, nor add x-amz-content-sha256.
            CHECK(test::count_headers(req, "Host") == 1);
            CHECK(test::count_headers(req, "X-Amz-Date") == 1);
            CHECK(test::count_headers(req, "x-amz-content-sha256") == 0);
            CHECK(test::count_headers(req, "Authorization") == 1);
        }
    }
}

TEST_CASE("sigv4 test suite: post-sts-token/post-sts-header-before") {
    // The session token is on the request before signing and is signed.
    const credentials creds{suite_creds.access_key_id, suite_creds.secret_access_key, suite_token};
    http_request req;
    req.method = "POST";
    req.host = "example.amazonaws.com";
    req.headers = {host_h, date_h, {"X-Amz-Security-Token", suite_token}};

    const std::string creq =
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
        "x-amz-security-token:" +
        suite_token +
        "\n\n"
        "host;x-amz-date;x-amz-security-token\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    CHECK(signer::canonical_request(req, "host;x-amz-date;x-amz-security-token", signer::payload_hash(req)) ==
          creq);

    signer s;
    signing_debug dbg;
    s.sign(req, creds, suite_params(), &dbg);
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
    CHECK(test::header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date;x-amz-security-token, "
          "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    CHECK(test::count_headers(req, "X-Amz-Security-Token") == 1);
    // --debug shows the canonical request with the token value redacted.
    CHECK(dbg.canonical_request ==
          "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
          "x-amz-security-token:<redacted>\n\nhost;x-amz-date;x-amz-security-token\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sigv4 test suite: post-sts-token/post-sts-header-after") {
    // Some services want the token added after signing, unsigned. The signer
    // always signs a token it is given, so this vector is reproduced by
    // signing without one and appending the header afterwards, as a caller
    // for such a service would. The published signature equals post-vanilla.
    http_request req;
    req.method = "POST";
    req.host = "example.amazonaws.com";
    req.headers = {host_h, date_h};
    signer s;
    signing_debug dbg;
    s.sign(req, suite_creds, suite_params(), &dbg);
    req.headers.push_back({"X-Amz-Security-Token", suite_token});

    CHECK(dbg.canonical_request ==
          "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87");
    CHECK(test::header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, "
          "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}
