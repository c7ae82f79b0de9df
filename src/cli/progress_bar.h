// ProgressBar: a one-line progress bar on stderr for long CLI operations (synthesis, quantisation,
// pushes and pulls). Draws only when stderr is a terminal, unless forced, so logs stay clean.
// Thread-safety: Update() may be called from any one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace locai::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label, bool force = false);
  ~ProgressBar();  // ends the line if anything was drawn

  // Redraws for `done` of `total` units, at most every 100 ms and always at completion.
  void Update(uint64_t done, uint64_t total, const std::string& unit = "");

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point start_;
};

// "1.2 GiB", "340 MiB", "12 KiB", "17 B".
std::string HumanBytes(uint64_t bytes);

}  // namespace locai::cli
