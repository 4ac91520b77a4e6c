// Report views: text tables, a side-by-side comparison, and an HTML page of
// inline SVG charts. Pure. See report_view.hpp.
#include "cli/report_view.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "cli/table.hpp"

namespace s3merge::cli {

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string ms(std::uint64_t micros) {
    return fixed(double(micros) / 1000.0, micros < 10000 ? 2 : 1);
}

double seconds(const engine::report& r) {
    return double(r.duration_ms) / 1000.0;
}

double per_second(std::uint64_t n, const engine::report& r) {
    double s = seconds(r);
    return s > 0 ? double(n) / s : 0.0;
}

std::string ratio(double a, double b) {
    if (a == 0 && b == 0) return "-";
    if (a == 0) return "inf";
    return fixed(b / a, 2) + "x";
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Summary rows shared by show and compare: (name, value).
std::vector<std::pair<std::string, double>> summary_numbers(const engine::report& r) {
    const auto& t = r.totals;
    return {
        {"listed", double(t.listed)},
        {"copied", double(t.copied)},
        {"skipped", double(t.skipped)},
        {"deleted", double(t.deleted)},
        {"failed", double(t.failed)},
        {"bytes copied", double(t.bytes_copied)},
        {"duration s", seconds(r)},
        {"objects/s", per_second(t.copied + t.skipped, r)},
        {"MiB/s", per_second(t.bytes_copied, r) / double(1 << 20)},
        {"retries", double(r.retries)},
        {"throttles", double(r.throttles)},
        {"limit changes", double(r.limit_changes)},
    };
}

std::string number_text(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return group_digits(static_cast<std::uint64_t>(v));
    return fixed(v, 2);
}

}  // namespace

std::string chart_number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

rate_series timeline_rates(const engine::report& r) {
    rate_series s;
    engine::timeline_point prev;
    for (const auto& p : r.timeline) {
        if (p.t_ms <= prev.t_ms) continue;
        const double dt = double(p.t_ms - prev.t_ms) / 1000.0;
        auto rate = [&](std::uint64_t now, std::uint64_t before) {
            return now >= before ? double(now - before) / dt : 0.0;
        };
        s.t_s.push_back(double(p.t_ms) / 1000.0);
        s.copies.push_back(rate(p.copies, prev.copies));
        s.bytes.push_back(rate(p.bytes, prev.bytes));
        s.listed.push_back(rate(p.listed, prev.listed));
        s.requests.push_back(rate(p.requests, prev.requests));
        s.throttles.push_back(rate(p.throttles, prev.throttles));
        s.errors.push_back(rate(p.errors, prev.errors));
        s.in_flight.push_back(double(p.in_flight));
        s.limit.push_back(double(p.limit));
        prev = p;
    }
    return s;
}

std::string render_report_text(const engine::report& r) {
    std::string out;
    out += "job " + r.job_id + "  " + r.mode + " into " + r.destination.uri() + "\n";
    out += "started " + r.started_at + "  finished " + r.finished_at + "  duration " + fixed(seconds(r), 1) +
           " s\n\n";
    text_table totals{{"", "value"}, {false, true}, {}};
    for (const auto& [name, v] : summary_numbers(r)) totals.rows.push_back({name, number_text(v)});
    out += totals.render() + "\n";
    text_table src{{"source", "listed", "copied", "skipped", "deleted", "failed", "bytes"},
                   {false, true, true, true, true, true, true},
                   {}};
    for (const auto& s : r.sources) {
        const auto& c = s.counters;
        src.rows.push_back({s.source.uri(), group_digits(c.listed), group_digits(c.copied),
                            group_digits(c.skipped), group_digits(c.deleted), group_digits(c.failed),
                            human_bytes(c.bytes_copied)});
    }
    out += src.render() + "\n";
    if (!r.operations.empty()) {
        text_table ops{{"operation", "calls", "requests", "errors", "throttles", "p50 ms", "p90 ms", "p99 ms",
                        "p99.9 ms", "max ms"},
                       {false, true, true, true, true, true, true, true, true, true},
                       {}};
        for (const auto& o : r.operations)
            ops.rows.push_back({o.name, group_digits(o.calls), group_digits(o.requests),
                                group_digits(o.errors), group_digits(o.throttles), ms(o.p50), ms(o.p90),
                                ms(o.p99), ms(o.p999), ms(o.max)});
        out += ops.render() + "\n";
        text_table codes{
            {"operation", "code", "failed calls", "throttled requests"}, {false, false, true, true}, {}};
        for (const auto& o : r.operations) {
            for (const auto& c : o.codes) codes.rows.push_back({o.name, c.code, group_digits(c.count), ""});
            for (const auto& c : o.throttle_codes)
                codes.rows.push_back({o.name, c.code, "", group_digits(c.count)});
        }
        if (!codes.rows.empty()) out += codes.render() + "\n";
    }
    if (!r.hosts.empty()) {
        text_table hosts{{"host", "requests", "retries", "throttles", "connections", "transport errors"},
                         {false, true, true, true, true, true},
                         {}};
        for (const auto& h : r.hosts)
            hosts.rows.push_back({h.host, group_digits(h.requests), group_digits(h.retries),
                                  group_digits(h.throttles), group_digits(h.connections_opened),
                                  group_digits(h.transport_errors)});
        out += hosts.render() + "\n";
    }
    auto rates = timeline_rates(r);
    if (!rates.t_s.empty()) {
        double peak = *std::max_element(rates.copies.begin(), rates.copies.end());
        double lowest = *std::min_element(rates.limit.begin(), rates.limit.end());
        out += "timeline: " + std::to_string(rates.t_s.size()) + " samples every " +
               fixed(double(r.timeline_interval_ms) / 1000.0, 1) + " s; peak " + fixed(peak, 0) +
               " copies/s; adaptive limit lowest " + fixed(lowest, 0) + "\n";
    }
    if (!r.failures.empty())
        out += std::to_string(r.failures.size() + r.failures_omitted) + " failures (listed in the report)\n";
    return out;
}

std::string render_report_compare(const labelled_report& a, const labelled_report& b) {
    std::string out = "A: " + a.label + " (" + a.rep.mode + ", " + a.rep.started_at + ")\nB: " + b.label +
                      " (" + b.rep.mode + ", " + b.rep.started_at + ")\n\n";
    text_table t{{"", "A", "B", "B/A"}, {false, true, true, true}, {}};
    auto na = summary_numbers(a.rep), nb = summary_numbers(b.rep);
    for (std::size_t i = 0; i < na.size(); ++i)
        t.rows.push_back({na[i].first, number_text(na[i].second), number_text(nb[i].second),
                          ratio(na[i].second, nb[i].second)});
    out += t.render() + "\n";
    // Operations of either run, in A's order then B's.
    std::vector<std::string> names;
    for (const auto* r : {&a.rep, &b.rep})
        for (const auto& o : r->operations)
            if (std::find(names.begin(), names.end(), o.name) == names.end()) names.push_back(o.name);
    if (!names.empty()) {
        text_table ops{{"operation", "calls A", "calls B", "p50 A ms", "p50 B ms", "p50 B/A", "p99 A ms",
                        "p99 B ms", "p99 B/A", "throttles A", "throttles B"},
                       {false, true, true, true, true, true, true, true, true, true, true},
                       {}};
        auto find = [](const engine::report& r, const std::string& n) {
            static const engine::operation_record none;
            for (const auto& o : r.operations)
                if (o.name == n) return o;
            return none;
        };
        for (const auto& n : names) {
            auto oa = find(a.rep, n), ob = find(b.rep, n);
            ops.rows.push_back({n, group_digits(oa.calls), group_digits(ob.calls), ms(oa.p50), ms(ob.p50),
                                ratio(double(oa.p50), double(ob.p50)), ms(oa.p99), ms(ob.p99),
                                ratio(double(oa.p99), double(ob.p99)), group_digits(oa.throttles),
                                group_digits(ob.throttles)});
        }
        out += ops.render();
    }
    return out;
}

namespace {

const char* const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"};

struct series {
    std::string report_label, name, color;
    std::vector<double> xs, ys;
    bool dashed = false;
};

double nice_ceiling(double v) {
    if (v <= 0) return 1;
    double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (v <= m * p) return m * p;
    return 10 * p;
}

// A line chart: linear axes from 0, or a log x axis (latencies). Every
// polyline carries its numbers (data-values, data-x) and a <title>.
std::string svg_chart(const std::string& id, const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<series>& lines, bool log_x = false,
                      double y_max_fixed = 0) {
    const double W = 720, H = 260, L = 64, R = 16, T = 28, B = 40;
    double xmin = log_x ? 1e300 : 0, xmax = 0, ymax = 0;
    for (const auto& s : lines) {
        for (double x : s.xs) {
            if (log_x && x > 0) xmin = std::min(xmin, x);
            xmax = std::max(xmax, x);
        }
        for (double y : s.ys) ymax = std::max(ymax, y);
    }
    if (log_x) {
        if (xmin > xmax || xmin <= 0) xmin = 1, xmax = 10;
        xmin = std::pow(10.0, std::floor(std::log10(xmin)));
        xmax = std::pow(10.0, std::ceil(std::log10(std::max(xmax, xmin * 10))));
    } else {
        xmax = nice_ceiling(xmax);
    }
    ymax = y_max_fixed > 0 ? y_max_fixed : nice_ceiling(ymax);
    auto px = [&](double x) {
        double f =
            log_x ? (std::log10(std::max(x, xmin)) - std::log10(xmin)) / (std::log10(xmax) - std::log10(xmin))
                  : x / xmax;
        return L + f * (W - L - R);
    };
    auto py = [&](double y) { return H - B - (y / ymax) * (H - T - B); };
    std::string s = "<figure><svg class=\"chart\" id=\"" + id + "\" width=\"" + chart_number(W) +
                    "\" height=\"" + chart_number(H) + "\" viewBox=\"0 0 " + chart_number(W) + " " +
                    chart_number(H) + "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
    s += "<text x=\"" + chart_number(L) + "\" y=\"18\" class=\"title\">" + html_escape(title) + "</text>";
    // Axes, grid and tick labels.
    s += "<line x1=\"" + chart_number(L) + "\" y1=\"" + chart_number(H - B) + "\" x2=\"" +
         chart_number(W - R) + "\" y2=\"" + chart_number(H - B) + "\" class=\"axis\"/>";
    s += "<line x1=\"" + chart_number(L) + "\" y1=\"" + chart_number(T) + "\" x2=\"" + chart_number(L) +
         "\" y2=\"" + chart_number(H - B) + "\" class=\"axis\"/>";
    for (int i = 0; i <= 4; ++i) {
        double v = ymax * i / 4, y = py(v);
        s += "<line x1=\"" + chart_number(L) + "\" y1=\"" + chart_number(y) + "\" x2=\"" +
             chart_number(W - R) + "\" y2=\"" + chart_number(y) + "\" class=\"grid\"/>";
        s += "<text x=\"" + chart_number(L - 6) + "\" y=\"" + chart_number(y + 4) +
             "\" class=\"tick\" text-anchor=\"end\">" + chart_number(v) + "</text>";
    }
    std::vector<double> xticks;
    if (log_x) {
        for (double x = xmin; x <= xmax * 1.0001; x *= 10) xticks.push_back(x);
    } else {
        for (int i = 0; i <= 5; ++i) xticks.push_back(xmax * i / 5);
    }
    for (double x : xticks)
        s += "<text x=\"" + chart_number(px(x)) + "\" y=\"" + chart_number(H - B + 16) +
             "\" class=\"tick\" text-anchor=\"middle\">" + chart_number(x) + "</text>";
    s += "<text x=\"" + chart_number((L + W - R) / 2) + "\" y=\"" + chart_number(H - 4) +
         "\" class=\"label\" text-anchor=\"middle\">" + html_escape(x_label) + "</text>";
    s += "<text x=\"12\" y=\"" + chart_number((T + H - B) / 2) +
         "\" class=\"label\" transform=\"rotate(-90 12 " + chart_number((T + H - B) / 2) +
         ")\" text-anchor=\"middle\">" + html_escape(y_label) + "</text>";
    for (const auto& l : lines) {
        std::string pts, vals, xs;
        for (std::size_t i = 0; i < l.xs.size() && i < l.ys.size(); ++i) {
            if (i) pts += ' ', vals += ' ', xs += ' ';
            pts += chart_number(px(l.xs[i])) + "," + chart_number(py(l.ys[i]));
            vals += chart_number(l.ys[i]);
            xs += chart_number(l.xs[i]);
        }
        s += "<polyline class=\"series\" fill=\"none\" stroke=\"" + l.color + "\" stroke-width=\"1.6\"" +
             (l.dashed ? " stroke-dasharray=\"5 3\"" : "") + " data-report=\"" + html_escape(l.report_label) +
             "\" data-series=\"" + html_escape(l.name) + "\" data-x=\"" + xs + "\" data-values=\"" + vals +
             "\" points=\"" + pts + "\"><title>" + html_escape(l.report_label + ": " + l.name) +
             "</title></polyline>";
    }
    s += "</svg><figcaption>";
    for (const auto& l : lines)
        s += "<span class=\"key\"><span class=\"swatch\" style=\"background:" + l.color + "\"></span>" +
             html_escape(l.report_label + " — " + l.name) + "</span> ";
    s += "</figcaption></figure>\n";
    return s;
}

}  // namespace

std::string render_report_html(const std::vector<labelled_report>& reports) {
    std::string h =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>s3merge report</title><style>"
        "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}"
        "table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}"
        "svg.chart{background:#fff;border:1px solid #ddd}.axis{stroke:#444}.grid{stroke:#eee}"
        ".tick{font-size:10px;fill:#555}.label{font-size:11px;fill:#333}.title{font-size:13px;font-weight:"
        "600}"
        "figure{margin:8px 0 "
        "24px}figcaption{font-size:12px}.swatch{display:inline-block;width:12px;height:3px;"
        "margin:0 4px 3px 8px}"
        "</style></head><body>\n<h1>s3merge report</h1>\n";
    // Summary: one column per report.
    h += "<h2>Summary</h2><table id=\"summary\"><tr><th></th>";
    for (const auto& r : reports) h += "<th>" + html_escape(r.label) + "</th>";
    h += "</tr>\n";
    auto text_row = [&](const std::string& name, auto get) {
        h += "<tr><th>" + html_escape(name) + "</th>";
        for (const auto& r : reports) h += "<td>" + html_escape(get(r.rep)) + "</td>";
        h += "</tr>\n";
    };
    text_row("mode", [](const engine::report& r) { return r.mode; });
    text_row("destination", [](const engine::report& r) { return r.destination.uri(); });
    text_row("started", [](const engine::report& r) { return r.started_at; });
    for (std::size_t i = 0; i < summary_numbers(engine::report{}).size(); ++i) {
        h += "<tr><th>" + html_escape(summary_numbers(engine::report{})[i].first) + "</th>";
        for (const auto& r : reports) {
            double v = summary_numbers(r.rep)[i].second;
            h += "<td class=\"n\" data-value=\"" + chart_number(v) + "\">" + html_escape(number_text(v)) +
                 "</td>";
        }
        h += "</tr>\n";
    }
    h += "</table>\n";

    std::vector<series> copies, bytes, limit, throttles;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        auto rs = timeline_rates(r.rep);
        std::string color = palette[i % std::size(palette)];
        copies.push_back({r.label, "copies/s", color, rs.t_s, rs.copies});
        std::vector<double> mib;
        for (double b : rs.bytes) mib.push_back(b / double(1 << 20));
        bytes.push_back({r.label, "MiB/s", color, rs.t_s, mib});
        limit.push_back({r.label, "adaptive limit", color, rs.t_s, rs.limit});
        limit.push_back({r.label, "in flight", color, rs.t_s, rs.in_flight, true});
        throttles.push_back({r.label, "throttles/s", color, rs.t_s, rs.throttles});
        throttles.push_back({r.label, "errors/s", color, rs.t_s, rs.errors, true});
    }
    h += "<h2>Throughput over time</h2>\n";
    h += svg_chart("copies", "Objects copied per second", "seconds since start", "copies/s", copies);
    h += svg_chart("bytes", "Bytes copied per second", "seconds since start", "MiB/s", bytes);
    h += "<h2>Concurrency and throttling</h2>\n";
    h +=
        svg_chart("limit", "Adaptive limit and requests in flight", "seconds since start", "requests", limit);
    h += svg_chart("throttles", "Throttles and errors per second", "seconds since start", "per second",
                   throttles);

    // Latency: a cumulative distribution per operation, runs overlaid.
    std::vector<std::string> ops;
    for (const auto& r : reports)
        for (const auto& o : r.rep.operations)
            if (std::find(ops.begin(), ops.end(), o.name) == ops.end()) ops.push_back(o.name);
    if (!ops.empty()) h += "<h2>Latency distributions</h2>\n";
    for (const auto& name : ops) {
        std::vector<series> lines;
        h += "<table class=\"latency\" data-operation=\"" + html_escape(name) + "\"><tr><th>" +
             html_escape(name) +
             "</th><th>calls</th><th>errors</th><th>throttles</th><th>p50 ms</th><th>p90 ms</th><th>p99 "
             "ms</th>"
             "<th>p99.9 ms</th><th>max ms</th></tr>\n";
        for (std::size_t i = 0; i < reports.size(); ++i) {
            for (const auto& o : reports[i].rep.operations) {
                if (o.name != name) continue;
                h += "<tr><th>" + html_escape(reports[i].label) + "</th>";
                for (auto v : {o.calls, o.errors, o.throttles})
                    h += "<td class=\"n\" data-value=\"" + std::to_string(v) + "\">" + group_digits(v) +
                         "</td>";
                for (auto v : {o.p50, o.p90, o.p99, o.p999, o.max})
                    h += "<td class=\"n\" data-value=\"" + std::to_string(v) + "\">" + ms(v) + "</td>";
                h += "</tr>\n";
                series s{reports[i].label, name + " CDF", palette[i % std::size(palette)], {}, {}};
                std::uint64_t total = 0, seen = 0;
                for (const auto& [upper, n] : o.histogram) total += n;
                for (const auto& [upper, n] : o.histogram) {
                    seen += n;
                    s.xs.push_back(double(std::max<std::uint64_t>(upper, 1)) / 1000.0);
                    s.ys.push_back(100.0 * double(seen) / double(total));
                }
                lines.push_back(std::move(s));
            }
        }
        h += "</table>\n";
        h += svg_chart("latency-" + name, name + ": share of calls at or below a latency",
                       "milliseconds (log)", "% of calls", lines, true, 100);
    }

    // Per-source totals.
    h += "<h2>Sources</h2>\n";
    for (const auto& r : reports) {
        h +=
            "<table class=\"sources\" data-report=\"" + html_escape(r.label) + "\"><tr><th>" +
            html_escape(r.label) +
            "</th><th>listed</th><th>copied</th><th>skipped</th><th>deleted</th><th>failed</th><th>bytes</th>"
            "<th></th></tr>\n";
        std::uint64_t most = 1;
        for (const auto& s : r.rep.sources) most = std::max(most, s.counters.copied + s.counters.skipped);
        for (const auto& s : r.rep.sources) {
            const auto& c = s.counters;
            h += "<tr><td>" + html_escape(s.source.uri()) + "</td>";
            for (auto v : {c.listed, c.copied, c.skipped, c.deleted, c.failed})
                h += "<td class=\"n\" data-value=\"" + std::to_string(v) + "\">" + group_digits(v) + "</td>";
            h += "<td class=\"n\" data-value=\"" + std::to_string(c.bytes_copied) + "\">" +
                 html_escape(human_bytes(c.bytes_copied)) + "</td>";
            const double w = 160.0 * double(c.copied + c.skipped) / double(most);
            h += "<td><svg width=\"164\" height=\"12\"><rect x=\"0\" y=\"1\" height=\"10\" width=\"" +
                 chart_number(w) + "\" fill=\"#1f77b4\"/></svg></td></tr>\n";
        }
        h += "</table>\n";
    }
    h += "</body></html>\n";
    return h;
}

}  // namespace s3merge::cli
