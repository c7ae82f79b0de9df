// net_bench: requests/s and latency percentiles of HttpServer with a trivial handler, at several
// numbers of concurrent keep-alive connections on loopback.
//
// The load generator is an in-process Asio client (its sockets come from the egress Connector,
// like every outbound connection): each connection sends "GET /ping" and waits for the whole
// response before the next, for --duration_ms per concurrency level.
//   net_bench [--levels 1,64,256] [--duration_ms 2000] [--server_threads N] [--client_threads N]
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/egress/connector.h"
#include "net/http/http_server.h"

namespace {
namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

struct Totals {
  std::mutex mu;
  std::vector<double> latencies_us;
  uint64_t errors = 0;
};

class LoadConnection : public std::enable_shared_from_this<LoadConnection> {
 public:
  LoadConnection(asio::io_context& ioc, int fd, Clock::time_point deadline, Totals& totals)
      : socket_(ioc), deadline_(deadline), totals_(totals) {
    socket_.assign(tcp::v4(), fd);
  }
  ~LoadConnection() {
    std::lock_guard<std::mutex> lock(totals_.mu);
    totals_.latencies_us.insert(totals_.latencies_us.end(), latencies_.begin(), latencies_.end());
    totals_.errors += errors_;
  }

  void Send() {
    sent_ = Clock::now();
    asio::async_write(socket_, asio::buffer(kRequest),
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (ec) return self->Fail();
                        self->ReadHead();
                      });
  }

 private:
  static constexpr std::string_view kRequest = "GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n";

  void ReadHead() {
    asio::async_read_until(socket_, buffer_, "\r\n\r\n",
                           [self = shared_from_this()](error_code ec, size_t head_size) {
                             if (ec) return self->Fail();
                             self->OnHead(head_size);
                           });
  }

  void OnHead(size_t head_size) {
    std::string_view head(static_cast<const char*>(buffer_.data().data()), head_size);
    size_t at = head.find("Content-Length: ");
    size_t length = 0;
    if (at != std::string_view::npos) {
      at += 16;
      std::from_chars(head.data() + at, head.data() + head.size(), length);
    }
    buffer_.consume(head_size);
    if (buffer_.size() >= length) return OnBody(length);
    asio::async_read(socket_, buffer_, asio::transfer_exactly(length - buffer_.size()),
                     [self = shared_from_this(), length](error_code ec, size_t) {
                       if (ec) return self->Fail();
                       self->OnBody(length);
                     });
  }

  void OnBody(size_t length) {
    buffer_.consume(length);
    Clock::time_point now = Clock::now();
    latencies_.push_back(std::chrono::duration<double, std::micro>(now - sent_).count());
    if (now < deadline_) Send();
  }

  void Fail() { ++errors_; }

  tcp::socket socket_;
  asio::streambuf buffer_;
  Clock::time_point deadline_;
  Clock::time_point sent_;
  Totals& totals_;
  std::vector<double> latencies_;
  uint64_t errors_ = 0;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

std::vector<int> ParseLevels(std::string_view text) {
  std::vector<int> levels;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    int value = 0;
    std::from_chars(part.data(), part.data() + part.size(), value);
    if (value > 0) levels.push_back(value);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return levels;
}

}  // namespace

int main(int argc, char** argv) {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> levels = {1, 64, 256};
  int duration_ms = 2000;
  int server_threads = std::max(1, hw / 2);
  int client_threads = std::max(1, hw / 2);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    std::string_view value = argv[i + 1];
    if (flag == "--levels")
      levels = ParseLevels(value);
    else if (flag == "--duration_ms")
      duration_ms = std::atoi(argv[i + 1]);
    else if (flag == "--server_threads")
      server_threads = std::atoi(argv[i + 1]);
    else if (flag == "--client_threads")
      client_threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }

  locai::net::Router router;
  locai::Status added =
      router.Add("GET", "/ping",
                 [](locai::net::HttpRequest, std::shared_ptr<locai::net::ResponseWriter> writer) {
                   writer->Send(locai::net::HttpResponse::Text(200, "pong"));
                 });
  if (!added.ok()) return 1;
  locai::net::HttpServerOptions options;
  options.io_threads = server_threads;
  options.max_connections = 4096;
  locai::net::HttpServer server(options, std::move(router));
  if (locai::Status started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "%s\n", started.ToString().c_str());
    return 1;
  }
  locai::net::egress::ConnectorOptions connector_options;
  connector_options.rules.push_back(*locai::net::egress::EgressRule::Parse("allow 127.0.0.1:*"));
  connector_options.max_log_entries = 16;
  locai::net::egress::Connector connector(std::move(connector_options));

  std::printf(
      "net_bench: trivial GET handler, loopback, keep-alive; server %d io threads, "
      "client %d threads, %d ms per level, %d hardware threads\n",
      server_threads, client_threads, duration_ms, hw);
  std::printf("%12s %12s %10s %10s %10s %8s\n", "connections", "requests/s", "p50_us", "p99_us",
              "max_us", "errors");
  for (int level : levels) {
    asio::io_context ioc(client_threads);
    Totals totals;
    // Connect first, so that connection set-up does not count.
    std::vector<locai::net::egress::ConnectedSocket> sockets;
    for (int c = 0; c < level; ++c) {
      auto socket =
          connector.Connect("127.0.0.1", server.port(), "bench", std::chrono::milliseconds(5000));
      if (!socket) {
        std::fprintf(stderr, "%s\n", socket.error().ToString().c_str());
        return 1;
      }
      sockets.push_back(std::move(*socket));
    }
    Clock::time_point start = Clock::now();
    Clock::time_point deadline = start + std::chrono::milliseconds(duration_ms);
    for (auto& socket : sockets) {
      // Each connection lives on through its pending operations.
      std::make_shared<LoadConnection>(ioc, socket.Release(), deadline, totals)->Send();
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < client_threads; ++t) threads.emplace_back([&ioc] { ioc.run(); });
    for (std::thread& thread : threads) thread.join();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double>& lat = totals.latencies_us;
    std::sort(lat.begin(), lat.end());
    std::printf("%12d %12.0f %10.0f %10.0f %10.0f %8llu\n", level,
                static_cast<double>(lat.size()) / seconds, Percentile(lat, 0.50),
                Percentile(lat, 0.99), lat.empty() ? 0.0 : lat.back(),
                static_cast<unsigned long long>(totals.errors));
    std::fflush(stdout);
  }
  server.Stop();
  return 0;
}
