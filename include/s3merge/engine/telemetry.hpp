// Telemetry of a run, recorded by the I/O shell and kept here as pure data:
// per S3 operation (calls, requests, errors and throttles by S3 code,
// latency histogram), per host (requests, retries, throttles, connections),
// and a timeline of cumulative counts sampled once per interval. Every
// structure is bounded: a fixed number of error codes per operation, a
// timeline that halves its resolution instead of growing past max_points.
// Recording allocates nothing, except the first time an error code is seen.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "s3merge/engine/histogram.hpp"

namespace s3merge::engine {

struct code_count {
    std::string code;  // S3's <Code> ("SlowDown"), else the error class ("timeout")
    std::uint64_t count = 0;
    friend bool operator==(const code_count&, const code_count&) = default;
};

// Counts by code in N slots, first seen first; codes beyond them are
// counted as `other`. Adding allocates only the first time a code is seen
// (and not at all for codes of up to 15 characters).
template <std::size_t N>
struct code_table {
    std::array<code_count, N> slots{};
    std::size_t used = 0;
    std::uint64_t other = 0;

    void add(std::string_view code, std::uint64_t n = 1) {
        for (std::size_t i = 0; i < used; ++i) {
            if (slots[i].code == code) {
                slots[i].count += n;
                return;
            }
        }
        if (used == N) {
            other += n;
            return;
        }
        slots[used].code.assign(code);
        slots[used].count = n;
        ++used;
    }
    std::uint64_t total() const {
        std::uint64_t t = other;
        for (std::size_t i = 0; i < used; ++i) t += slots[i].count;
        return t;
    }
    // The counts as a list, "other" last when any.
    std::vector<code_count> list() const {
        std::vector<code_count> out(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(used));
        if (other) out.push_back({"other", other});
        return out;
    }
};

// One S3 operation's calls.
struct op_stats {
    static constexpr std::size_t max_codes = 8;
    std::string_view name;  // static ("CopyObject")
    latency_histogram latency;
    std::uint64_t calls = 0;       // whole calls (retries included in one call)
    std::uint64_t requests = 0;    // requests sent (every attempt)
    std::uint64_t errors = 0;      // calls that failed
    std::uint64_t throttles = 0;   // throttling answers (503 SlowDown, 429, ...)
    code_table<max_codes> codes;   // failed calls by code
    code_table<4> throttle_codes;  // throttling answers by code ("SlowDown", "503")

    // One finished call: its duration, requests sent, throttling answers
    // among them (and the code of the last one), and on failure its code.
    void record(std::uint64_t micros, std::uint64_t sent, std::uint64_t throttled, bool failed,
                std::string_view code, std::string_view throttle_code = {});
};

// One endpoint ("host:port").
struct host_stats {
    std::string host;
    std::uint64_t requests = 0, retries = 0, throttles = 0, connections_opened = 0, transport_errors = 0;
    friend bool operator==(const host_stats&, const host_stats&) = default;
};

// The run's cumulative counts at one moment (ms since its start), with the
// instantaneous requests in flight and adaptive limit.
struct timeline_point {
    std::uint64_t t_ms = 0;
    std::uint64_t copies = 0, bytes = 0, listed = 0, requests = 0, throttles = 0, errors = 0;
    std::uint64_t in_flight = 0, limit = 0;
    friend bool operator==(const timeline_point&, const timeline_point&) = default;
};

// Samples kept once per interval (the first point at or after each
// boundary). When max_points are held, every other point is dropped and the
// interval doubles: a day-long run keeps the same memory as a minute-long
// one, at a coarser resolution.
class timeline {
public:
    explicit timeline(std::size_t max_points = 3600, std::uint64_t interval_ms = 1000);
    // Called as often as convenient (every tick) with cumulative counts.
    void offer(const timeline_point& p);
    // The final point: always kept (rows carry their own duration).
    void finish(const timeline_point& p);
    std::uint64_t interval_ms() const { return interval_ms_; }
    const std::vector<timeline_point>& points() const { return points_; }

private:
    void compact();
    std::size_t max_points_;
    std::uint64_t interval_ms_;
    std::uint64_t next_ms_;
    std::vector<timeline_point> points_;
};

// A bucket of requests or bytes per second (a cap, e.g. beside production
// traffic): reserve() takes `cost` tokens and says how long the caller must
// wait before going, so that over any stretch of time the rate stays at or
// below `rate` plus one burst. Reservations queue fairly: each one waits for
// the debt of those before it. Pure: the clock is an argument.
class token_bucket {
public:
    using duration = std::chrono::nanoseconds;
    // rate > 0 per second; burst: tokens that may be spent at once (>= 1).
    token_bucket(double rate, double burst);
    duration reserve(std::uint64_t now_ns, double cost);
    double rate() const { return rate_; }

private:
    double rate_, burst_, tokens_;
    std::uint64_t last_ns_ = 0;
    bool started_ = false;
};

}  // namespace s3merge::engine
