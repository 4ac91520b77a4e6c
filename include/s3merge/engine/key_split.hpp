// Where to split a key range so that one listing becomes two (start-after
// bisection), pure. A range is (lo, hi]: the keys after lo up to and
// including hi, hi empty for no upper bound. A lister at position lo gives
// up (mid, hi] to another lister, which lists it with start-after mid.
//
// Keys are unknown in advance; the split is the midpoint of lo and hi read
// as numbers whose digits are the bytes seen so far (those the listing
// returned after the range's prefix): hex names, dates, counters and words all split
// near the middle of what they can hold, and repeated splits of one range
// converge on where its keys are (an empty half costs one request).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace s3merge::engine {

// The bytes the keys were seen to use.
struct key_alphabet {
    std::bitset<256> bytes;
    void see(std::string_view s) {
        for (char ch : s) bytes.set(static_cast<unsigned char>(ch));
    }
    bool empty() const { return bytes.none(); }
};

// A key m with lo < m < hi (hi empty: no bound) that starts with prefix
// (lo does), or nullopt when the alphabet finds none. no_delimiter: m has
// no '/' after prefix, so that with delimiter '/' every common prefix
// (and every key under it) lies wholly on one side of m.
std::optional<std::string> split_key(std::string_view prefix, std::string_view lo, std::string_view hi,
                                     const key_alphabet& a, bool no_delimiter);

// How much of the key space (lo, hi] holds, as the natural logarithm of its
// width read like split_key reads keys (bigger: more room for keys); for
// choosing which range to split.
double key_span_log(std::string_view prefix, std::string_view lo, std::string_view hi, const key_alphabet& a);

// How many entries (lo, hi] holds if it is as dense as [first, lo], which
// held `seen` entries (first and lo among them), the widths read as
// key_span_log reads them: seen - 1 entries per width(first, lo]. Where
// that cannot tell (one entry seen, or none), 1e300: it may hold any number.
// 0 when (lo, hi] has no room for a key.
double estimate_rest(std::string_view prefix, std::string_view first, std::string_view lo,
                     std::string_view hi, const key_alphabet& a, std::uint64_t seen);

}  // namespace s3merge::engine
