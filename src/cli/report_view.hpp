// Views of a run's report (pure): the summary tables of `s3merge report
// show`, two runs side by side with ratios (`report compare`), and one
// self-contained HTML page with inline SVG charts (`report html`): no
// script, no external file or font.
#pragma once

#include <string>
#include <vector>

#include "s3merge/engine/report.hpp"

namespace s3merge::cli {

struct labelled_report {
    std::string label;  // shown in legends (the file name)
    engine::report rep;
};

// A timeline as per-row rates: x seconds since the start, and per second
// the copies, bytes, listed keys, requests, throttles and errors of the
// interval ending there; in flight and limit as sampled.
struct rate_series {
    std::vector<double> t_s, copies, bytes, listed, requests, throttles, errors, in_flight, limit;
};
rate_series timeline_rates(const engine::report& r);

std::string render_report_text(const engine::report& r);
std::string render_report_compare(const labelled_report& a, const labelled_report& b);
std::string render_report_html(const std::vector<labelled_report>& reports);

// The number as the HTML page writes it in data-values ("%.6g").
std::string chart_number(double v);

}  // namespace s3merge::cli
