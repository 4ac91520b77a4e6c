// Dates as S3 and HTTP write them. See include/s3merge/time.hpp.
#include "s3merge/time.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace s3merge {

namespace {

using namespace std::chrono;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// A valid calendar date and time of day; seconds up to 60 (leap second).
bool make_time(int y, int mo, int d, int h, int mi, int sec, nanoseconds frac, sys_time& out) {
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return false;
    auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + frac;
    out = time_point_cast<sys_time::duration>(t);
    return true;
}

constexpr std::array<std::string_view, 7> day_names = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

bool parse_iso8601(std::string_view s, sys_time& out) {
    // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
    int y, mo, d, h, mi, sec;
    if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return false;
    std::size_t pos = 19;
    nanoseconds frac{0};
    if (s[pos] == '.') {
        std::size_t start = ++pos;
        std::int64_t scale = 100000000, ns = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start >= 9) return false;
            ns += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return false;
        frac = nanoseconds(ns);
    }
    if (pos + 1 != s.size() || s[pos] != 'Z') return false;
    return make_time(y, mo, d, h, mi, sec, frac, out);
}

bool parse_http_date(std::string_view s, sys_time& out) {
    // "Wed, 12 Oct 2009 17:50:00 GMT"
    //  0123456789012345678901234567 8
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
        return false;
    int d, y, h, mi, sec;
    if (!digits(s, 5, 2, d) || !digits(s, 12, 4, y) || !digits(s, 17, 2, h) || !digits(s, 20, 2, mi) ||
        !digits(s, 23, 2, sec))
        return false;
    auto m = std::find(month_names.begin(), month_names.end(), s.substr(8, 3));
    if (m == month_names.end()) return false;
    sys_time t;
    if (!make_time(y, static_cast<int>(m - month_names.begin()) + 1, d, h, mi, sec, nanoseconds{0}, t))
        return false;
    const weekday wd{floor<days>(t)};
    if (day_names[wd.c_encoding()] != s.substr(0, 3)) return false;
    out = t;
    return true;
}

std::string format_iso8601(sys_time t) {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{floor<seconds>(t - day)};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

}  // namespace s3merge
