// Structured request logs: one JSON object per line (request id, endpoint, model, status, token
// counts, timings in milliseconds, and an error message when there was one). Prompt and output
// text appear only when the node runs with --log-prompts.
// Thread-safety: Logger::Write and Request may be called from any thread; lines are never
// interleaved. SetRequestObserver before the first Request.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace locai::node {

struct RequestLogEntry {
  std::string request_id;
  std::string endpoint;  // "/v1/chat/completions"
  std::string model;
  int status = 0;
  bool stream = false;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
  double queue_ms = 0.0;
  double ttft_ms = 0.0;
  double total_ms = 0.0;
  std::string finish_reason;
  std::string error;
  std::string prompt;  // only filled with --log-prompts
  std::string output;  // only filled with --log-prompts
};

// {"ts":"...","level":"info","msg":"request",...} without the empty optional fields.
std::string FormatRequestLog(const RequestLogEntry& entry, int64_t unix_millis);

class Logger {
 public:
  // `sink` receives each line (without the newline); empty: stderr.
  explicit Logger(std::function<void(std::string_view)> sink = nullptr);
  void Write(std::string_view line);
  // Logs {"level":level,"msg":message} with a timestamp.
  void Event(std::string_view level, std::string_view message);
  // Writes the entry's line, then hands the entry to the request observer (if any).
  void Request(const RequestLogEntry& entry);
  // Sets the observer Request() calls (NodeOptions::on_request_done). Before the first request.
  void SetRequestObserver(std::function<void(const RequestLogEntry&)> observer);

 private:
  std::mutex mu_;
  std::function<void(std::string_view)> sink_;
  std::function<void(const RequestLogEntry&)> observer_;  // set before use, then read-only
};

}  // namespace locai::node
