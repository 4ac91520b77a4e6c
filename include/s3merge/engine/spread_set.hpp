// A set of keys handed out spread over their sorted order instead of
// smallest first (pure). take() removes and returns the key at position
// floor(phase * size) of the sorted set, the phase advancing by the golden
// ratio's fraction each time: a low-discrepancy walk, so any run of k takes
// falls evenly over the key space (each of m equal strata gets about k/m),
// whatever the keys look like. O(log n) per operation.
//
// Why: S3 partitions a bucket by key range and splits a range only after
// sustained load on it. Copies in key order load one range at a time; copies
// spread this way load every range in proportion to its keys, so every
// partition stays hot and splits.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace s3merge::engine {

class spread_set {
public:
    spread_set();
    ~spread_set();
    spread_set(spread_set&&) noexcept;
    spread_set& operator=(spread_set&&) noexcept;

    // false if the key was there already.
    bool insert(std::string key);
    // false if it was not there.
    bool erase(const std::string& key);
    std::optional<std::string> take();
    std::size_t size() const;
    bool empty() const { return size() == 0; }

private:
    struct impl;
    std::unique_ptr<impl> p_;
    double phase_ = 0;
};

}  // namespace s3merge::engine
