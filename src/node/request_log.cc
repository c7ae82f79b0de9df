#include "node/request_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace locai::node {
namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Timestamp(int64_t unix_millis) {
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_millis % 1000));
  return buf;
}

double Round(double ms) { return static_cast<double>(static_cast<int64_t>(ms * 10.0 + 0.5)) / 10.0; }

std::string Dump(const nlohmann::ordered_json& json) {
  // Replace invalid UTF-8 rather than throw: log lines must never fail.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string FormatRequestLog(const RequestLogEntry& e, int64_t unix_millis) {
  nlohmann::ordered_json json;
  json["ts"] = Timestamp(unix_millis);
  json["level"] = e.status >= 500 ? "error" : (e.status >= 400 ? "warn" : "info");
  json["msg"] = "request";
  json["request_id"] = e.request_id;
  json["endpoint"] = e.endpoint;
  if (!e.model.empty()) json["model"] = e.model;
  json["status"] = e.status;
  json["stream"] = e.stream;
  json["prompt_tokens"] = e.prompt_tokens;
  json["completion_tokens"] = e.completion_tokens;
  if (e.cached_tokens > 0) json["cached_tokens"] = e.cached_tokens;
  json["queue_ms"] = Round(e.queue_ms);
  json["ttft_ms"] = Round(e.ttft_ms);
  json["total_ms"] = Round(e.total_ms);
  if (!e.finish_reason.empty()) json["finish_reason"] = e.finish_reason;
  if (!e.error.empty()) json["error"] = e.error;
  if (!e.prompt.empty()) json["prompt"] = e.prompt;
  if (!e.output.empty()) json["output"] = e.output;
  return Dump(json);
}

Logger::Logger(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}

void Logger::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sink_) {
    sink_(line);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  }
}

void Logger::Event(std::string_view level, std::string_view message) {
  nlohmann::ordered_json json;
  json["ts"] = Timestamp(NowMillis());
  json["level"] = level;
  json["msg"] = message;
  Write(Dump(json));
}

void Logger::Request(const RequestLogEntry& entry) {
  Write(FormatRequestLog(entry, NowMillis()));
  if (observer_) observer_(entry);
}

void Logger::SetRequestObserver(std::function<void(const RequestLogEntry&)> observer) {
  observer_ = std::move(observer);
}

}  // namespace locai::node
