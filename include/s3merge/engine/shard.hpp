// Sharded runs (pure): N processes (Kubernetes Indexed Jobs, AWS Batch array
// jobs, any N machines) split one job so that every object is taken by
// exactly one of them. A key's shard is a function of the key alone: the
// FNV-1a hash of its first `depth` '/'-separated components after the
// source prefix (a CloudTrail day: "2024/03/05/", or "us-east-1/2024/03/05/"
// below CloudTrail/), or of the whole key when it has fewer. So shards that
// start at different times, or see a few more objects, still never overlap
// and never leave a key out; a prefix that holds `depth` components belongs
// to one shard, and the others never list it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace s3merge::engine {

struct shard_spec {
    unsigned index = 0;  // this process's shard, 0 <= index < count
    unsigned count = 1;  // 1: not sharded
    bool active() const { return count > 1; }
    friend bool operator==(const shard_spec&, const shard_spec&) = default;
};

// The shard of a key, given relative to its source prefix.
unsigned shard_of(std::string_view relative_key, unsigned depth, unsigned count);
// Whether keys under `relative_prefix` can belong to `s`.
bool shard_may_own(std::string_view relative_prefix, unsigned depth, const shard_spec& s);

// "I/N" (0 <= I < N <= 10000), or "auto/N": I from JOB_COMPLETION_INDEX
// (Kubernetes Indexed Jobs) or AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array
// jobs), passed in (empty: unset). False with a one-line error.
bool parse_shard(std::string_view text, std::string_view k8s_index, std::string_view batch_index,
                 shard_spec& out, std::string& error);

}  // namespace s3merge::engine
