// Dates as S3 and HTTP write them, parsed strictly (pure; no locale, no
// time zone database, no clock).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace s3merge {

using sys_time = std::chrono::system_clock::time_point;

// ISO 8601 as S3 (LastModified), STS and the credential endpoints write it:
// "2009-10-12T17:50:30.000Z" or "2009-10-12T17:50:30Z" (1 to 9 fractional
// digits, UTC "Z" only). Strict: exact field widths, a valid calendar date,
// hours 00-23, minutes 00-59, seconds 00-60 (a leap second reads as the next
// minute). Returns false and leaves `out` alone on anything else.
bool parse_iso8601(std::string_view s, sys_time& out);

// The HTTP Date header in IMF-fixdate form (RFC 9110 5.6.7):
// "Wed, 12 Oct 2009 17:50:00 GMT". Strict: exact form, English day and month
// names (case-sensitive), a day name that matches the date, "GMT". The
// obsolete RFC 850 and asctime forms are refused.
bool parse_http_date(std::string_view s, sys_time& out);

// "2009-10-12T17:50:30Z" (whole seconds, for messages).
std::string format_iso8601(sys_time t);

}  // namespace s3merge
