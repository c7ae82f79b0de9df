// Metrics: the node's counters and histograms, rendered in the Prometheus text exposition format
// (version 0.0.4) for GET /metrics.
//
// Series: locai_requests_total{endpoint,status}, locai_prompt_tokens_total,
// locai_completion_tokens_total, locai_time_to_first_token_seconds and
// locai_inter_token_latency_seconds (histograms), and the gauges the caller passes to Render()
// (queue depth, running sequences, loaded models, memory).
// Thread-safety: every method may be called from any thread (engine threads included; each call
// holds a mutex for a few hundred nanoseconds).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locai::node {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // "<name>_bucket{le=...} N" lines, then _sum and _count. Caller holds the Metrics mutex.
  void Render(std::string_view name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative); last is +Inf
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

struct Gauges {
  int64_t queue_depth = 0;
  int64_t running = 0;
  int64_t loaded_models = 0;
  int64_t loading_models = 0;
  uint64_t model_memory_bytes = 0;  // estimates of loaded models
  uint64_t resident_bytes = 0;      // the process's RSS
  uint64_t available_bytes = 0;     // MemAvailable (or limit minus committed)
};

class Metrics {
 public:
  Metrics();
  void CountRequest(std::string_view endpoint, int status);
  void CountTokens(int64_t prompt_tokens, int64_t completion_tokens);
  void ObserveTimeToFirstToken(double seconds);
  void ObserveInterTokenLatency(double seconds);
  std::string Render(const Gauges& gauges) const;

  // For tests: the count of requests for (endpoint, status).
  uint64_t RequestCount(std::string_view endpoint, int status) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // guarded by mu_
  uint64_t prompt_tokens_ = 0;                                // guarded by mu_
  uint64_t completion_tokens_ = 0;                            // guarded by mu_
  Histogram ttft_;                                            // guarded by mu_
  Histogram itl_;                                             // guarded by mu_
};

}  // namespace locai::node
