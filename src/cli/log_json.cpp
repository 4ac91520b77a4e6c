// JSON log lines (pure). See log.hpp.
#include "cli/log.hpp"

#include "engine/json_writer.hpp"

namespace s3merge::cli {

std::string encode_log_json(std::string_view time, const engine::log_record& r) {
    engine::json_writer w(false);
    w.begin_object();
    w.field("time", time);
    w.field("level", engine::level_name(r.level));
    w.field("event", r.event);
    w.field("message", r.message);
    if (const auto* d = r.diag) {
        if (!d->operation.empty()) w.field("operation", d->operation);
        if (!d->bucket.empty()) w.field("bucket", d->bucket);
        if (!d->key.empty()) w.field("key", d->key);
        if (!d->region.empty()) w.field("region", d->region);
        if (!d->s3_code.empty()) w.field("code", d->s3_code);
        if (d->http_status) w.field_uint("http_status", d->http_status);
        if (!d->request_id.empty()) w.field("request_id", d->request_id);
        if (d->attempts) w.field_uint("attempt", d->attempts);
    }
    w.end_object();
    return w.take();
}

}  // namespace s3merge::cli
