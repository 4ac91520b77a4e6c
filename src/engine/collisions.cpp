#include "s3merge/engine/collisions.hpp"

#include <algorithm>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/http_message.hpp"

namespace s3merge::engine {

namespace {

// The virtual entries of entrants sit in one extra stream, after the members.
constexpr std::size_t no_source = static_cast<std::size_t>(-1);

}  // namespace

bool ranges_meet(std::string_view a, std::string_view b) {
    return a.starts_with(b) || b.starts_with(a);
}

std::vector<walk_node> collision_roots(const std::vector<walk_source>& sources) {
    walk_node root;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        for (std::size_t j = 0; j < sources.size(); ++j) {
            if (i != j && ranges_meet(sources[i].dest_prefix, sources[j].dest_prefix)) {
                root.entrants.push_back(i);
                break;
            }
        }
    }
    if (root.entrants.size() < 2) return {};
    return {std::move(root)};
}

node_merge::node_merge(walk_node node, const std::vector<walk_source>& sources)
    : node_(std::move(node)), sources_(sources) {
    // Entrants whose destination prefix ends at this level are listed here;
    // the others show as the next segment of their destination prefix.
    std::vector<entry> virtual_entries;
    std::vector<std::size_t> deeper;
    for (std::size_t j : node_.entrants) {
        std::string_view rest = std::string_view(sources_[j].dest_prefix).substr(node_.dest_path.size());
        auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            node_.members.push_back({j, sources_[j].prefix, std::string(rest)});
        } else {
            entry e;
            e.name = std::string(rest.substr(0, slash + 1));
            e.prefix = true;
            e.size = j;  // the entrant's source index travels in size
            virtual_entries.push_back(std::move(e));
            deeper.push_back(j);
        }
    }
    node_.entrants = std::move(deeper);
    std::stable_sort(virtual_entries.begin(), virtual_entries.end(),
                     [](const entry& a, const entry& b) { return key_less(a.name, b.name); });
    buf_.resize(node_.members.size() + 1);
    done_.assign(node_.members.size() + 1, false);
    last_.resize(node_.members.size());
    for (auto& e : virtual_entries) buf_.back().push_back(std::move(e));
    done_.back() = true;
    advance();
}

std::vector<std::size_t> node_merge::wants() const {
    std::vector<std::size_t> w;
    for (std::size_t m = 0; m < node_.members.size(); ++m)
        if (!done_[m] && buf_[m].empty()) w.push_back(m);
    return w;
}

bool node_merge::done() const {
    for (std::size_t i = 0; i < buf_.size(); ++i)
        if (!done_[i] || !buf_[i].empty()) return false;
    return true;
}

std::error_code node_merge::push(std::size_t m, const s3::list_objects_v2_result& page, bool last,
                                 diagnostics& diag) {
    const walk_member& mem = node_.members[m];
    const walk_source& src = sources_[mem.source];
    std::vector<entry> entries;
    entries.reserve(page.objects.size() + page.common_prefixes.size());
    auto relative = [&](const std::string& key, entry& e) -> std::error_code {
        if (auto ec = check_source_key(src.bucket, key, mem.list_prefix, diag)) return ec;
        e.name = mem.name_prefix + key.substr(mem.list_prefix.size());
        return {};
    };
    for (const auto& o : page.objects) {
        entry e;
        if (auto ec = relative(o.key, e)) return ec;
        e.size = o.size;
        e.etag = o.etag;
        e.key = o.key;
        entries.push_back(std::move(e));
    }
    for (const auto& p : page.common_prefixes) {
        entry e;
        if (auto ec = relative(p, e)) return ec;
        e.prefix = true;
        entries.push_back(std::move(e));
    }
    // Contents and CommonPrefixes are each in key order, and so is the page
    // as a whole: checked per list, then merged.
    auto out_of_order = [&](const entry& e, const std::string& prev) {
        diag.operation = "ListObjectsV2";
        diag.bucket = src.bucket;
        diag.key = e.key;
        diag.detail = "listing is not in ascending key order: '" + e.name + "' came after '" + prev + "'";
        return make_error_code(errc::malformed_response);
    };
    const auto split = entries.begin() + static_cast<std::ptrdiff_t>(page.objects.size());
    for (auto range : {std::pair{entries.begin(), split}, std::pair{split, entries.end()}}) {
        for (auto it = range.first; it != range.second; ++it) {
            if (!last_[m].empty() && compare_keys(last_[m], it->name) >= 0)
                return out_of_order(*it, last_[m]);
            if (it != range.first && compare_keys(std::prev(it)->name, it->name) >= 0)
                return out_of_order(*it, std::prev(it)->name);
        }
    }
    std::inplace_merge(entries.begin(), split, entries.end(),
                       [](const entry& a, const entry& b) { return key_less(a.name, b.name); });
    if (!entries.empty()) last_[m] = entries.back().name;
    for (auto& e : entries) buf_[m].push_back(std::move(e));
    if (last) done_[m] = true;
    advance();
    return {};
}

void node_merge::advance() {
    const std::size_t n = node_.members.size();
    for (;;) {
        for (std::size_t m = 0; m < n; ++m)
            if (buf_[m].empty() && !done_[m]) return;  // its next name may be smaller
        const std::string* min = nullptr;
        for (const auto& b : buf_)
            if (!b.empty() && (!min || key_less(b.front().name, *min))) min = &b.front().name;
        if (!min) return;
        const std::string name = *min;
        std::vector<std::pair<std::size_t, entry>> taken;  // (member or no_source, entry)
        for (std::size_t m = 0; m < n; ++m) {
            if (!buf_[m].empty() && buf_[m].front().name == name) {
                taken.emplace_back(m, std::move(buf_[m].front()));
                buf_[m].pop_front();
            }
        }
        while (!buf_[n].empty() && buf_[n].front().name == name) {
            taken.emplace_back(no_source, std::move(buf_[n].front()));
            buf_[n].pop_front();
        }
        if (taken.size() < 2) continue;
        if (!taken.front().second.prefix) {
            // Object names never end with the delimiter, prefixes always do:
            // the entries taken are all objects of different members.
            collision c;
            c.dest_key = node_.dest_path + name;
            c.identical = true;
            const std::uint64_t first_size = taken.front().second.size;
            const std::string first_etag = taken.front().second.etag;
            for (auto& [m, e] : taken) {
                if (e.size != first_size || e.etag.empty() || !iequals(e.etag, first_etag))
                    c.identical = false;
                c.sides.push_back({node_.members[m].source, std::move(e.key), e.size, std::move(e.etag)});
            }
            std::sort(c.sides.begin(), c.sides.end(),
                      [](const collision_side& a, const collision_side& b) { return a.source < b.source; });
            collisions_.push_back(std::move(c));
            continue;
        }
        walk_node child;
        child.dest_path = node_.dest_path + name;
        for (auto& [m, e] : taken) {
            if (m == no_source) {
                child.entrants.push_back(static_cast<std::size_t>(e.size));
                continue;
            }
            const walk_member& mem = node_.members[m];
            child.members.push_back({mem.source, mem.list_prefix + name.substr(mem.name_prefix.size()), ""});
        }
        children_.push_back(std::move(child));
    }
}

std::vector<collision> node_merge::take_collisions() {
    std::vector<collision> r;
    r.swap(collisions_);
    return r;
}

std::vector<walk_node> node_merge::take_children() {
    std::vector<walk_node> r;
    r.swap(children_);
    return r;
}

}  // namespace s3merge::engine
