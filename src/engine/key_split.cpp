// Key-range bisection. See include/s3merge/engine/key_split.hpp.
#include "s3merge/engine/key_split.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "s3merge/engine/key_map.hpp"

namespace s3merge::engine {

namespace {

// S3 keys are at most 1,024 bytes: a split point is never longer.
constexpr std::size_t max_key = 1024;

// Keys as digits of base B = alphabet size + 1: 0 is "the key ended", d > 0
// is the alphabet's d-th byte (a byte outside it reads as the nearest one
// below, or the first). Shorter keys pad with 0, so the numbers keep the
// keys' order.
struct digits {
    unsigned base = 2;
    std::array<unsigned short, 256> digit{};  // byte → digit
    std::array<unsigned char, 257> byte{};    // digit → byte
    unsigned top() const { return base - 1; }
    unsigned of(unsigned char c) const { return digit[c]; }
};

digits digits_of(const key_alphabet& a) {
    digits d;
    unsigned n = 0;
    for (unsigned c = 0; c < 256; ++c) {
        if (a.empty() || a.bytes.test(c)) d.byte[++n] = static_cast<unsigned char>(c);
        d.digit[c] = static_cast<unsigned short>(std::max(n, 1u));
    }
    d.base = n + 1;
    return d;
}

std::vector<unsigned> to_digits(std::string_view s, std::size_t n, const digits& d) {
    std::vector<unsigned> v(n, 0);
    for (std::size_t i = 0; i < n && i < s.size(); ++i) v[i] = d.of(static_cast<unsigned char>(s[i]));
    return v;
}

// The digits of lo and hi after their shared beginning (hi empty: the
// largest key the alphabet holds).
struct operands {
    std::size_t start = 0;  // bytes both share (at least the prefix)
    std::vector<unsigned> lo, hi;
};

operands read(std::string_view prefix, std::string_view lo, std::string_view hi, const digits& d) {
    operands o;
    std::size_t start = prefix.size();
    if (!hi.empty()) {
        std::size_t n = std::min(lo.size(), hi.size());
        std::size_t c = 0;
        while (c < n && lo[c] == hi[c]) ++c;
        start = std::max(start, c);
    }
    start = std::min(start, lo.size());
    o.start = start;
    std::string_view l = lo.substr(start);
    std::string_view h = hi.empty() ? std::string_view() : hi.substr(std::min(start, hi.size()));
    std::size_t n = std::max(l.size(), h.size()) + 2;
    n = std::min(n, max_key > start ? max_key - start : std::size_t{1});
    o.lo = to_digits(l, n, d);
    o.hi = hi.empty() ? std::vector<unsigned>(n, d.top()) : to_digits(h, n, d);
    return o;
}

std::string spell(std::string_view head, const std::vector<unsigned>& v, const digits& d, bool fill) {
    std::string s(head);
    for (unsigned x : v) {
        if (x == 0) {
            if (!fill) break;
            x = 1;
        }
        s.push_back(static_cast<char>(d.byte[x]));
    }
    return s;
}

}  // namespace

std::optional<std::string> split_key(std::string_view prefix, std::string_view lo, std::string_view hi,
                                     const key_alphabet& a, bool no_delimiter) {
    if (!hi.empty() && !key_less(lo, hi)) return std::nullopt;
    const digits d = digits_of(a);
    operands o = read(prefix, lo, hi, d);
    const std::size_t n = o.lo.size();
    // (lo + hi) / 2, digit by digit.
    std::vector<unsigned> sum(n + 1, 0);
    unsigned carry = 0;
    for (std::size_t i = n; i-- > 0;) {
        unsigned s = o.lo[i] + o.hi[i] + carry;
        sum[i + 1] = s % d.base;
        carry = s / d.base;
    }
    sum[0] = carry;
    std::vector<unsigned> mid(n, 0);
    unsigned rem = sum[0];
    for (std::size_t i = 0; i < n; ++i) {
        unsigned cur = rem * d.base + sum[i + 1];
        mid[i] = cur / 2;
        rem = cur % 2;
    }
    const std::string_view head = lo.substr(0, o.start);
    auto ok = [&](const std::string& m) {
        return key_less(lo, m) && (hi.empty() || key_less(m, hi)) && m.size() <= max_key;
    };
    for (bool fill : {false, true}) {
        std::string m = spell(head, mid, d, fill);
        if (no_delimiter) {
            // Past any common prefix it would cut: "x/abc" becomes "x0".
            auto slash = m.find('/', prefix.size());
            if (slash != std::string::npos) {
                m.resize(slash);
                m.push_back('0');
            }
        }
        if (ok(m)) return m;
    }
    return std::nullopt;
}

double key_span_log(std::string_view prefix, std::string_view lo, std::string_view hi,
                    const key_alphabet& a) {
    const digits d = digits_of(a);
    if (!hi.empty() && !key_less(lo, hi)) return -HUGE_VAL;
    operands o = read(prefix, lo, hi, d);
    std::size_t i = 0;
    while (i < o.lo.size() && o.lo[i] == o.hi[i]) ++i;
    if (i == o.lo.size()) return -HUGE_VAL;
    // The first three digits from where they differ (the rest cannot turn
    // the difference negative: hi's digit there is larger).
    double diff = 0;
    for (std::size_t k = i; k < i + 3; ++k) {
        double h = k < o.hi.size() ? o.hi[k] : 0, l = k < o.lo.size() ? o.lo[k] : 0;
        diff = diff * d.base + (h - l);
    }
    const double shift = static_cast<double>(o.start - std::min(o.start, prefix.size()) + i + 3);
    return std::log(std::max(diff, 1.0)) - shift * std::log(static_cast<double>(d.base));
}

double estimate_rest(std::string_view prefix, std::string_view first, std::string_view lo,
                     std::string_view hi, const key_alphabet& a, std::uint64_t seen) {
    const double rest = key_span_log(prefix, lo, hi, a);
    if (rest == -HUGE_VAL) return 0;
    const double done = seen > 1 ? key_span_log(prefix, first, lo, a) : -HUGE_VAL;
    if (done == -HUGE_VAL) return 1e300;
    return std::min(static_cast<double>(seen - 1) * std::exp(std::min(rest - done, 680.0)), 1e300);
}

}  // namespace s3merge::engine
