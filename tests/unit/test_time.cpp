// Strict date parsing (include/s3merge/time.hpp).
#include <doctest/doctest.h>

#include "s3merge/time.hpp"

using namespace s3merge;
using std::chrono::day;
using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::month;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

namespace {

sys_time at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s);
}

}  // namespace

TEST_CASE("parse_iso8601 reads S3 LastModified values, with and without fractions") {
    sys_time t;
    REQUIRE(parse_iso8601("2009-10-12T17:50:30.000Z", t));
    CHECK(t == at(2009, 10, 12, 17, 50, 30));
    CHECK(duration_cast<seconds>(t.time_since_epoch()).count() == 1255369830);
    REQUIRE(parse_iso8601("2009-10-12T17:50:30Z", t));
    CHECK(t == at(2009, 10, 12, 17, 50, 30));
    REQUIRE(parse_iso8601("2024-02-29T23:59:59.5Z", t));
    CHECK(t == at(2024, 2, 29, 23, 59, 59) + milliseconds(500));
    REQUIRE(parse_iso8601("2024-02-29T23:59:59.123456789Z", t));
    CHECK(t == at(2024, 2, 29, 23, 59, 59) + nanoseconds(123456789));
    REQUIRE(parse_iso8601("1970-01-01T00:00:00.000Z", t));
    CHECK(t.time_since_epoch().count() == 0);
    REQUIRE(parse_iso8601("2016-12-31T23:59:60Z", t));  // a leap second reads as the next minute
    CHECK(t == at(2017, 1, 1, 0, 0, 0));
}

TEST_CASE("parse_iso8601 refuses anything else and leaves the output alone") {
    const sys_time before = at(2000, 1, 1, 0, 0, 0);
    for (std::string_view bad : {"",
                                 "2009-10-12T17:50:30",
                                 "2009-10-12 17:50:30Z",
                                 "2009-10-12T17:50:30z",
                                 "2009-10-12T17:50:30.Z",
                                 "2009-10-12T17:50:30.1234567890Z",
                                 "2009-10-12T17:50:30+00:00",
                                 "2009-10-12T17:50:30.000Z ",
                                 " 2009-10-12T17:50:30Z",
                                 "2009-1-12T17:50:30Z",
                                 "2009-13-12T17:50:30Z",
                                 "2009-00-12T17:50:30Z",
                                 "2009-02-29T17:50:30Z",
                                 "2009-04-31T00:00:00Z",
                                 "2009-10-12T24:00:00Z",
                                 "2009-10-12T17:60:00Z",
                                 "2009-10-12T17:50:61Z",
                                 "2009-10-12T17:5a:30Z",
                                 "2009/10/12T17:50:30Z",
                                 "Mon, 12 Oct 2009 17:50:30 GMT"}) {
        sys_time t = before;
        CHECK_MESSAGE(!parse_iso8601(bad, t), bad);
        CHECK(t == before);
    }
}

TEST_CASE("parse_http_date reads IMF-fixdate and checks the day name") {
    sys_time t;
    REQUIRE(parse_http_date("Mon, 12 Oct 2009 17:50:00 GMT", t));
    CHECK(t == at(2009, 10, 12, 17, 50, 0));
    REQUIRE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", t));  // RFC 9110's example
    CHECK(duration_cast<seconds>(t.time_since_epoch()).count() == 784111777);
    REQUIRE(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", t));
    CHECK(t == at(2024, 2, 29, 0, 0, 0));
    const sys_time before = at(2000, 1, 1, 0, 0, 0);
    for (std::string_view bad :
         {"Wed, 12 Oct 2009 17:50:00 GMT",  // 12 Oct 2009 was a Monday
          "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
          "Sun, 06 nov 1994 08:49:37 GMT", "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 1994 24:00:00 GMT", "Tue, 31 Feb 2009 00:00:00 GMT",
          "Sun,06 Nov 1994 08:49:37 GMT ", "Sun, 06 Nov 94 08:49:37 GMT", ""}) {
        sys_time t2 = before;
        CHECK_MESSAGE(!parse_http_date(bad, t2), bad);
        CHECK(t2 == before);
    }
}

TEST_CASE("format_iso8601 writes whole seconds that parse back") {
    const sys_time t = at(2009, 10, 12, 7, 5, 3) + milliseconds(999);
    CHECK(format_iso8601(t) == "2009-10-12T07:05:03Z");
    sys_time back;
    REQUIRE(parse_iso8601(format_iso8601(t), back));
    CHECK(back == at(2009, 10, 12, 7, 5, 3));
}
