// Every seed and regression input of the fuzz targets (tests/fuzz), run
// through the same target bodies in every build: an input that once broke
// a parser stays checked without a fuzzer.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../fuzz/targets.hpp"

namespace {

std::size_t replay(const char* target, int (*fn)(const std::uint8_t*, std::size_t)) {
    std::size_t n = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        std::filesystem::path dir = std::filesystem::path(S3MERGE_FUZZ_DIR) / kind / target;
        if (!std::filesystem::is_directory(dir)) continue;
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (!e.is_regular_file() || e.path().extension() == ".md") continue;
            std::ifstream in(e.path(), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            CAPTURE(e.path().string());
            fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            // Every prefix too: truncations are what a cut connection yields.
            for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 64)
                fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), cut);
            ++n;
        }
    }
    return n;
}

}  // namespace

TEST_CASE("fuzz inputs: every seed and regression input of every target") {
    CHECK(replay("s3_xml", s3merge::fuzz::s3_xml) >= 10);
    CHECK(replay("journal", s3merge::fuzz::journal) >= 1);
    CHECK(replay("ini", s3merge::fuzz::ini) >= 1);
    CHECK(replay("uri", s3merge::fuzz::uri) >= 3);
}

TEST_CASE("fuzz targets hold their promises on known inputs") {
    // The journal seed decodes and round-trips (the target aborts otherwise);
    // a copy result without an ETag is an error, never a success.
    std::string bad = "<CopyObjectResult><LastModified>x</LastModified></CopyObjectResult>";
    s3merge::s3::copy_object_result out;
    s3merge::diagnostics d;
    CHECK(s3merge::s3::parse_copy_object(s3merge::fuzz::as_response(bad), out, d) ==
          s3merge::errc::malformed_response);
}
