#include "node/metrics.h"

#include <cstdio>

namespace locai::node {
namespace {

std::string FormatDouble(double value) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.9g", value);
  return buf;
}

void Line(std::string* out, std::string_view text) {
  out->append(text);
  out->push_back('\n');
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string_view name, std::string* out) const {
  uint64_t cumulative = 0;
  const std::string base(name);
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? FormatDouble(bounds_[i]) : "+Inf";
    Line(out, base + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative));
  }
  Line(out, base + "_sum " + FormatDouble(sum_));
  Line(out, base + "_count " + std::to_string(count_));
}

Metrics::Metrics()
    : ttft_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      itl_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}) {}

void Metrics::CountRequest(std::string_view endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(endpoint), status}];
}

void Metrics::CountTokens(int64_t prompt_tokens, int64_t completion_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_tokens_ += static_cast<uint64_t>(prompt_tokens > 0 ? prompt_tokens : 0);
  completion_tokens_ += static_cast<uint64_t>(completion_tokens > 0 ? completion_tokens : 0);
}

void Metrics::ObserveTimeToFirstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ttft_.Observe(seconds);
}

void Metrics::ObserveInterTokenLatency(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  itl_.Observe(seconds);
}

uint64_t Metrics::RequestCount(std::string_view endpoint, int status) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find({std::string(endpoint), status});
  return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  Line(&out, "# HELP locai_requests_total HTTP requests by endpoint and status.");
  Line(&out, "# TYPE locai_requests_total counter");
  for (const auto& [key, count] : requests_) {
    Line(&out, "locai_requests_total{endpoint=\"" + key.first + "\",status=\"" +
                   std::to_string(key.second) + "\"} " + std::to_string(count));
  }
  Line(&out, "# HELP locai_prompt_tokens_total Prompt tokens processed.");
  Line(&out, "# TYPE locai_prompt_tokens_total counter");
  Line(&out, "locai_prompt_tokens_total " + std::to_string(prompt_tokens_));
  Line(&out, "# HELP locai_completion_tokens_total Tokens generated.");
  Line(&out, "# TYPE locai_completion_tokens_total counter");
  Line(&out, "locai_completion_tokens_total " + std::to_string(completion_tokens_));
  Line(&out, "# HELP locai_time_to_first_token_seconds Time from request to first token.");
  Line(&out, "# TYPE locai_time_to_first_token_seconds histogram");
  ttft_.Render("locai_time_to_first_token_seconds", &out);
  Line(&out, "# HELP locai_inter_token_latency_seconds Time between generated tokens.");
  Line(&out, "# TYPE locai_inter_token_latency_seconds histogram");
  itl_.Render("locai_inter_token_latency_seconds", &out);
  const std::pair<const char*, std::pair<const char*, uint64_t>> gauge_list[] = {
      {"locai_queue_depth", {"Requests waiting for a sequence slot.",
                             static_cast<uint64_t>(gauges.queue_depth)}},
      {"locai_running_sequences", {"Sequences generating now.",
                                   static_cast<uint64_t>(gauges.running)}},
      {"locai_loaded_models", {"Models loaded.", static_cast<uint64_t>(gauges.loaded_models)}},
      {"locai_loading_models", {"Models being loaded.",
                                static_cast<uint64_t>(gauges.loading_models)}},
      {"locai_model_memory_bytes", {"Estimated memory of the loaded models.",
                                    gauges.model_memory_bytes}},
      {"locai_resident_memory_bytes", {"Resident memory of the process.", gauges.resident_bytes}},
      {"locai_available_memory_bytes", {"Memory available for models.", gauges.available_bytes}},
  };
  for (const auto& [name, help_value] : gauge_list) {
    Line(&out, std::string("# HELP ") + name + " " + help_value.first);
    Line(&out, std::string("# TYPE ") + name + " gauge");
    Line(&out, std::string(name) + " " + std::to_string(help_value.second));
  }
  return out;
}

}  // namespace locai::node
