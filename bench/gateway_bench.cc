// gateway_bench: latency percentiles and requests/s of non-streamed generation requests against
// one endpoint (the control plane's gateway or a node's own API), at several numbers of
// concurrent clients. Each client is a thread with its own keep-alive net::HttpClient (the
// project's client, so its sockets come from the egress Connector like every outbound connection)
// sending one request after the other for --duration-ms per level after a short warm-up; a
// request counts when it answers 200. bench/gateway_bench.sh runs it against a node directly and
// through `locai server` and prints the difference.
//
//   gateway_bench --url https://127.0.0.1:4443 [--ca-file ca.pem] [--key KEY] --model M
//                 [--levels 1,64,512] [--duration-ms 3000] [--warmup-ms 500] [--max-tokens 1]
//                 [--path /v1/chat/completions]
// Output: one line per level, "level=N ok=.. errors=.. rps=.. p50_us=.. p99_us=.. mean_us=..",
// and the first error status/body seen (errors are counted, never retried).
#include <algorithm>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/egress/connector.h"
#include "net/http/http_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string path = "/v1/chat/completions";
  std::string ca_file;
  std::string key;
  std::string model;
  std::vector<int> levels{1, 64, 512};
  int duration_ms = 3000;
  int warmup_ms = 500;
  int max_tokens = 1;
};

struct LevelResult {
  int level = 0;
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_us;
  std::string first_error;
};

std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "gateway_bench: %s needs a value\n", argv[i]);
      return false;
    }
    std::string_view value = argv[++i];
    if (arg == "--url") {
      o.url = value;
    } else if (arg == "--path") {
      o.path = value;
    } else if (arg == "--ca-file") {
      o.ca_file = value;
    } else if (arg == "--key") {
      o.key = value;
    } else if (arg == "--model") {
      o.model = value;
    } else if (arg == "--levels") {
      o.levels.clear();
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        auto level = ParseInt(value.substr(start, comma - start));
        if (!level || *level <= 0) {
          std::fprintf(stderr, "gateway_bench: bad --levels\n");
          return false;
        }
        o.levels.push_back(*level);
        start = comma + 1;
      }
    } else if (arg == "--duration-ms" || arg == "--warmup-ms" || arg == "--max-tokens") {
      auto n = ParseInt(value);
      if (!n || *n < 0) {
        std::fprintf(stderr, "gateway_bench: bad %s\n", argv[i - 1]);
        return false;
      }
      (arg == "--duration-ms" ? o.duration_ms : arg == "--warmup-ms" ? o.warmup_ms : o.max_tokens) =
          *n;
    } else {
      std::fprintf(stderr, "gateway_bench: unknown option %s\n", argv[i - 1]);
      return false;
    }
  }
  if (o.url.empty() || o.model.empty()) {
    std::fprintf(stderr, "gateway_bench: --url and --model are required\n");
    return false;
  }
  return true;
}

// The JSON string literal of `text` (the model name is the only variable part of the body).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Runs `level` client threads; each records latencies after the warm-up until the deadline.
LevelResult RunLevel(const Options& o, int level, locai::net::egress::Connector& connector) {
  locai::net::ClientRequest request;
  request.method = "POST";
  request.url = o.url + o.path;
  request.purpose = "bench";
  request.headers.Set("content-type", "application/json");
  if (!o.key.empty()) request.headers.Set("authorization", "Bearer " + o.key);
  request.body = "{\"model\":" + JsonString(o.model) +
                 ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":" +
                 std::to_string(o.max_tokens) + ",\"temperature\":0}";

  LevelResult result;
  result.level = level;
  std::mutex mu;
  std::barrier start(level + 1);
  Clock::time_point measure_from;
  Clock::time_point deadline;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(level));
  for (int t = 0; t < level; ++t) {
    threads.emplace_back([&] {
      locai::net::HttpClientOptions client_options;
      client_options.ca_file = o.ca_file;
      client_options.read_timeout = std::chrono::milliseconds(120'000);
      locai::net::HttpClient client(connector, client_options);
      std::vector<double> mine;
      uint64_t ok = 0;
      uint64_t errors = 0;
      std::string first_error;
      start.arrive_and_wait();
      for (;;) {
        Clock::time_point sent = Clock::now();
        if (sent >= deadline) break;
        auto response = client.Fetch(request);
        Clock::time_point done = Clock::now();
        bool good = response && response->status == 200;
        if (!good && first_error.empty()) {
          first_error = response ? "HTTP " + std::to_string(response->status) + " " +
                                       response->body.substr(0, 300)
                                 : response.error().ToString();
        }
        if (sent < measure_from) continue;  // warm-up: connections, caches
        if (good) {
          ++ok;
          mine.push_back(std::chrono::duration<double, std::micro>(done - sent).count());
        } else {
          ++errors;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      result.ok += ok;
      result.errors += errors;
      result.latencies_us.insert(result.latencies_us.end(), mine.begin(), mine.end());
      if (result.first_error.empty()) result.first_error = first_error;
    });
  }
  Clock::time_point now = Clock::now();
  measure_from = now + std::chrono::milliseconds(o.warmup_ms);
  deadline = measure_from + std::chrono::milliseconds(o.duration_ms);
  start.arrive_and_wait();
  for (auto& thread : threads) thread.join();
  result.seconds = std::chrono::duration<double>(deadline - measure_from).count();
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  return result;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) return 2;
  auto rule = locai::net::egress::EgressRule::Parse("allow *:*");
  if (!rule) return 2;
  locai::net::egress::ConnectorOptions connector_options;
  connector_options.rules = {*rule};
  connector_options.max_log_entries = 16;
  locai::net::egress::Connector connector(std::move(connector_options));
  int status = 0;
  for (int level : options.levels) {
    LevelResult r = RunLevel(options, level, connector);
    double mean = 0;
    for (double x : r.latencies_us) mean += x;
    if (!r.latencies_us.empty()) mean /= static_cast<double>(r.latencies_us.size());
    std::printf("level=%d ok=%llu errors=%llu rps=%.1f p50_us=%.0f p99_us=%.0f mean_us=%.0f\n",
                r.level, static_cast<unsigned long long>(r.ok),
                static_cast<unsigned long long>(r.errors),
                static_cast<double>(r.ok) / r.seconds, Percentile(r.latencies_us, 0.50),
                Percentile(r.latencies_us, 0.99), mean);
    if (!r.first_error.empty()) std::printf("first_error level=%d %s\n", level, r.first_error.c_str());
    std::fflush(stdout);
    if (r.ok == 0) status = 1;
  }
  return status;
}
