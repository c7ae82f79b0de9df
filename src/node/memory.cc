#include "node/memory.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace locai::node {

std::optional<uint64_t> ParseMemAvailable(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  size_t pos = meminfo.find(kKey);
  if (pos == std::string_view::npos) return std::nullopt;
  pos += kKey.size();
  while (pos < meminfo.size() && (meminfo[pos] == ' ' || meminfo[pos] == '\t')) ++pos;
  uint64_t value = 0;
  size_t digits = 0;
  while (pos < meminfo.size() && meminfo[pos] >= '0' && meminfo[pos] <= '9' && digits < 18) {
    value = value * 10 + static_cast<uint64_t>(meminfo[pos] - '0');
    ++pos;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  while (pos < meminfo.size() && meminfo[pos] == ' ') ++pos;
  // The kernel reports kB (KiB); a bare number would be bytes.
  if (meminfo.substr(pos, 2) == "kB") value *= 1024;
  return value;
}

std::optional<uint64_t> ReadMemAvailable() {
  std::ifstream in("/proc/meminfo");
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return ParseMemAvailable(text.str());
}

uint64_t ReadProcessRss() {
  std::ifstream in("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(in >> size_pages >> resident_pages)) return 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  return resident_pages * static_cast<uint64_t>(page > 0 ? page : 4096);
}

std::string FormatBytes(uint64_t bytes) {
  char buf[64];
  const double b = static_cast<double>(bytes);
  if (bytes >= (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.1f GiB", b / (1ull << 30));
  } else if (bytes >= (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", b / (1ull << 20));
  } else if (bytes >= (1ull << 10)) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", b / (1ull << 10));
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

Status CheckFits(std::string_view model, const engine::MemoryEstimate& estimate,
                 int64_t context_length, int32_t n_sequences, uint64_t available) {
  if (estimate.total() <= available) return Status::Ok();
  return Status::ResourceExhausted(
      "model '" + std::string(model) + "' does not fit in memory: it needs " +
      FormatBytes(estimate.total()) + " (weights " + FormatBytes(estimate.weights) +
      " + KV cache " + FormatBytes(estimate.kv_cache) + " for " + std::to_string(context_length) +
      " tokens x " + std::to_string(n_sequences) + " sequences + compute " +
      FormatBytes(estimate.compute) + ") but only " + FormatBytes(available) + " is available");
}

}  // namespace locai::node
