// A model of S3's request-rate behaviour as AWS documents it, for the load
// target of the benchmarks (pure; not part of the product). Per partitioned
// prefix S3 serves 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests a
// second and answers 503 SlowDown beyond; a new bucket starts as one
// partition, and a key range under sustained load is split (AWS does not
// publish when: here after `split_after_s` seconds during which a
// partition's load stayed at or above `hot_fraction` of its capacity, at
// the median of the keys it saw). Time is an argument (seconds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace s3bench {

struct model_params {
    double write_rate = 3500;  // PUT/COPY/POST/DELETE per partition per second
    double read_rate = 5500;   // GET/HEAD per partition per second
    double split_after_s = 60;
    double hot_fraction = 0.5;
    std::size_t max_partitions = 4096;
};

enum class request_kind { read, write };

class rate_model {
public:
    explicit rate_model(model_params p);
    // A request for `key` at time t: admitted, or throttled (503 SlowDown).
    bool admit(std::string_view key, request_kind kind, double t);
    std::size_t partitions() const { return parts_.size(); }
    // The keys partitions start at (the first is "").
    std::vector<std::string> boundaries() const;
    std::uint64_t admitted() const { return admitted_; }
    std::uint64_t throttled() const { return throttled_; }
    const model_params& params() const { return p_; }

private:
    struct partition {
        std::string lo;  // keys >= lo (and < the next partition's lo)
        double write_tokens = 0, read_tokens = 0, last_t = 0;
        double window_start = 0;
        std::uint64_t window_writes = 0, window_reads = 0;
        double hot_since = -1;
        std::vector<std::string> seen;  // keys of the current window (bounded sample)
        std::uint64_t seen_total = 0;
    };
    std::size_t find(std::string_view key) const;
    void close_window(std::size_t i, double t);
    model_params p_;
    std::vector<partition> parts_;
    std::uint64_t admitted_ = 0, throttled_ = 0;
    std::uint64_t rng_ = 0x9e3779b97f4a7c15ull;  // the key sample's (deterministic) choices
};

// The least time n writes can take into a fresh bucket under the model:
// the load spread so every partition is always saturated and split as soon
// as the model allows, a client sending at most client_rate requests/s.
double optimum_seconds(std::uint64_t n, const model_params& p, double client_rate);

}  // namespace s3bench
