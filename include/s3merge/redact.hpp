// Redaction of secrets from diagnostic output. Pure.
#pragma once

#include <string>
#include <string_view>

namespace s3merge {

// Replaces the session token in a canonical request (the signed
// x-amz-security-token header line, or an X-Amz-Security-Token query
// parameter) with "<redacted>". Used for --debug output.
std::string redact_canonical_request(std::string_view canonical);

} // namespace s3merge
