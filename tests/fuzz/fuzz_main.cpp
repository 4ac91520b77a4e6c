// libFuzzer entry point for one target, chosen at compile time
// (-DS3MERGE_FUZZ_TARGET=s3_xml|journal|ini|uri). Built by tests/fuzz/run.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return s3merge::fuzz::S3MERGE_FUZZ_TARGET(data, size);
}
