// Serves the run's metrics at GET /metrics (Prometheus text exposition) on
// a loopback or other address while a run lasts (--metrics-listen). Plain
// HTTP/1.1, one response per connection, at most 16 connections at once,
// each given 10 s; the body is rendered at each scrape.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>

#include "s3merge/error.hpp"

namespace s3merge::engine {

class metrics_server {
public:
    metrics_server(boost::asio::any_io_executor ex, std::function<std::string()> render);
    ~metrics_server();
    // "HOST:PORT" (an IP address; port 0 picks a free one). `bound` gets the
    // address listened on. invalid_argument / connect_failed with diag.
    std::error_code listen(std::string_view address, std::string& bound, diagnostics& diag);
    void close();
    std::uint64_t scrapes() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace s3merge::engine
