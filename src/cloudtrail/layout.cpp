// CloudTrail key layouts and the source/destination plan (pure).
#include "s3merge/cloudtrail/layout.hpp"

#include <algorithm>
#include <tuple>

#include "s3merge/cloudtrail/naming.hpp"

namespace s3merge::cloudtrail {

namespace {

std::string trim_slashes(std::string_view p) {
    while (p.starts_with('/')) p.remove_prefix(1);
    while (p.ends_with('/')) p.remove_suffix(1);
    return std::string(p);
}

// The last component of a common prefix directly under `parent`, or "".
std::string_view child_of(std::string_view parent, std::string_view common) {
    if (!common.starts_with(parent) || !common.ends_with('/')) return {};
    std::string_view rest = common.substr(parent.size());
    rest.remove_suffix(1);
    if (rest.empty() || rest.find('/') != std::string_view::npos) return {};
    return rest;
}

bool is_org_id(std::string_view s) {
    if (!s.starts_with("o-") || s.size() < 12 || s.size() > 34) return false;
    return std::all_of(s.begin() + 2, s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::string describe(const log_location& l) {
    return "s3://" + l.bucket + "/" + (l.key_prefix.empty() ? "" : l.key_prefix + "/") + "AWSLogs/" +
           (l.org_id.empty() ? "" : l.org_id + "/");
}

std::error_code fail(diagnostics& diag, errc e, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(e);
}

}  // namespace

std::string_view kind_dir(log_kind k) {
    switch (k) {
        case log_kind::logs:
            return "CloudTrail";
        case log_kind::digests:
            return "CloudTrail-Digest";
        case log_kind::insights:
            return "CloudTrail-Insight";
    }
    return "CloudTrail";
}

const char* to_string(found_by b) {
    switch (b) {
        case found_by::trail:
            return "trail";
        case found_by::content:
            return "content";
        case found_by::name_template:
            return "template";
        case found_by::source_option:
            return "--source";
    }
    return "?";
}

std::string log_prefix(std::string_view key_prefix, std::string_view org_id, std::string_view account,
                       log_kind k, std::string_view region) {
    std::string out = trim_slashes(key_prefix);
    if (!out.empty()) out += '/';
    out += "AWSLogs/";
    if (!org_id.empty()) out += std::string(org_id) + "/";
    out += std::string(account) + "/" + std::string(kind_dir(k)) + "/";
    if (!region.empty()) out += std::string(region) + "/";
    return out;
}

std::string sample_key(std::string_view prefix, std::string_view account, std::string_view region,
                       log_kind k) {
    std::string file = std::string(account) + "_" + std::string(kind_dir(k)) + "_" + std::string(region) +
                       "_20240101T0005Z_" + (k == log_kind::digests ? "" : "0123456789abcdef") +
                       (k == log_kind::digests ? ".json.gz" : ".json.gz");
    return std::string(prefix) + "2024/01/01/" + file;
}

std::vector<region_mapping> map_row(const source_row& row, const destination& dest, std::string_view account,
                                    bool digests, bool insights) {
    std::vector<region_mapping> out;
    auto add = [&](log_kind k) {
        out.push_back({k, log_prefix(row.where.key_prefix, row.where.org_id, account, k, row.region),
                       log_prefix(dest.where.key_prefix, dest.where.org_id, account, k, row.region)});
    };
    add(log_kind::logs);
    if (digests) add(log_kind::digests);
    if (insights) add(log_kind::insights);
    return out;
}

std::vector<std::string> regions_under(std::string_view parent,
                                       const std::vector<std::string>& common_prefixes) {
    std::vector<std::string> out;
    diagnostics ignored;
    for (const auto& c : common_prefixes) {
        std::string_view r = child_of(parent, c);
        if (!r.empty() && !validate_region_name(r, ignored)) out.emplace_back(r);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::string> org_ids_under(std::string_view parent,
                                       const std::vector<std::string>& common_prefixes) {
    std::vector<std::string> out;
    for (const auto& c : common_prefixes) {
        std::string_view o = child_of(parent, c);
        if (is_org_id(o)) out.emplace_back(o);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::error_code plan_discovery(const discovery_inputs& in, discovery_result& out, diagnostics& diag) {
    out = discovery_result{};
    // The destination.
    std::vector<const trail*> all_region;
    for (const auto& t : in.trails)
        if (t.multi_region && !t.bucket.empty()) all_region.push_back(&t);
    const trail* dest_trail = nullptr;
    if (!in.dest_bucket.empty()) {
        for (const trail* t : all_region)
            if (t->bucket == in.dest_bucket && !dest_trail) dest_trail = t;
        out.dest.where.bucket = in.dest_bucket;
    } else {
        if (all_region.empty())
            return fail(
                diag, errc::not_found,
                "account " + in.account +
                    " has no all-region trail logging to S3 (DescribeTrails): create one "
                    "(aws cloudtrail create-trail --is-multi-region-trail ...) or pass --dest-bucket NAME");
        dest_trail = all_region.front();
        for (const trail* t : all_region)
            if (t->bucket != dest_trail->bucket || t->key_prefix != dest_trail->key_prefix) {
                std::string names;
                for (const trail* u : all_region)
                    names += (names.empty() ? "" : ", ") + u->name + " -> s3://" + u->bucket +
                             (u->key_prefix.empty() ? "" : "/" + u->key_prefix);
                return fail(diag, errc::invalid_argument,
                            "account " + in.account +
                                " has several all-region trails writing to different places (" + names +
                                "): pass --dest-bucket NAME to choose");
            }
        out.dest.where.bucket = dest_trail->bucket;
    }
    if (dest_trail) {
        out.dest.trail = dest_trail->name;
        out.dest.where.key_prefix = dest_trail->key_prefix;
        out.dest.organization = dest_trail->organization;
    }
    if (in.dest_prefix) out.dest.where.key_prefix = trim_slashes(*in.dest_prefix);
    if (!in.org_id.empty()) {
        if (!is_org_id(in.org_id))
            return fail(diag, errc::invalid_argument,
                        "--org-id '" + in.org_id.substr(0, 40) +
                            "' is not an organization id (o- and 10 to 32 lower-case letters or digits)");
        out.dest.where.org_id = in.org_id;
        out.dest.organization = true;
    } else if (out.dest.organization) {
        return fail(diag, errc::invalid_argument,
                    "the all-region trail " + out.dest.trail +
                        " is an organization trail, and no organization id was found under " +
                        describe(out.dest.where) + ": pass --org-id o-...");
    }

    // The sources.
    auto add = [&](source_row row) {
        diagnostics ignored;
        if (row.region.empty() || validate_region_name(row.region, ignored)) {
            out.notes.push_back("left out s3://" + row.where.bucket + ": region '" +
                                row.region.substr(0, 40) + "' is not a region name");
            return;
        }
        if (validate_bucket_name(row.where.bucket, ignored)) {
            out.notes.push_back("left out '" + row.where.bucket.substr(0, 70) + "': not a bucket name");
            return;
        }
        if (row.where == out.dest.where) return;  // the destination's own logs
        for (const auto& r : out.rows)
            if (r.region == row.region && r.where == row.where) return;  // seen already
        out.rows.push_back(std::move(row));
    };
    for (const auto& t : in.trails) {
        if (t.multi_region || t.bucket.empty()) continue;
        source_row row;
        row.region = t.home_region;
        if (row.region.empty()) {  // arn:aws:cloudtrail:REGION:...
            auto a = t.arn.find(':', t.arn.find(':', t.arn.find(':') + 1) + 1);
            if (a != std::string::npos) row.region = t.arn.substr(a + 1, t.arn.find(':', a + 1) - a - 1);
        }
        row.where = {t.bucket, t.key_prefix, t.organization ? in.org_id : std::string()};
        if (row.where == out.dest.where) {
            out.notes.push_back("trail " + t.name + " (" + row.region +
                                ") already writes where the destination is");
            continue;
        }
        row.by = found_by::trail;
        row.trail = t.name;
        add(std::move(row));
    }
    for (const auto& c : in.contents) {
        for (const auto& region : c.regions) {
            source_row row;
            row.region = region;
            row.where = {c.bucket, trim_slashes(c.key_prefix), c.org_id};
            row.by = found_by::content;
            for (const auto& t : in.trails)
                if (t.bucket == c.bucket && t.key_prefix == row.where.key_prefix && t.multi_region)
                    row.trail = t.name;
            add(std::move(row));
        }
    }
    std::sort(out.rows.begin(), out.rows.end(), [](const source_row& a, const source_row& b) {
        return std::tie(a.region, a.where.bucket, a.where.key_prefix, a.where.org_id) <
               std::tie(b.region, b.where.bucket, b.where.key_prefix, b.where.org_id);
    });
    return {};
}

}  // namespace s3merge::cloudtrail
