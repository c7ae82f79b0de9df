#include "node/agent/capabilities.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/kernels/cpu_features.h"
#include "node/memory.h"

namespace locai::node::agent {
namespace {

std::string ReadText(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls `fn(key, value)` for each "key : value" line.
template <typename Fn>
void ForEachField(std::string_view text, Fn fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (fn(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)))) return;
  }
}

}  // namespace

std::string ParseCpuModel(std::string_view cpuinfo) {
  std::string model;
  ForEachField(cpuinfo, [&](std::string_view key, std::string_view value) {
    if (key != "model name") return false;
    model = std::string(value);
    return true;
  });
  return model;
}

std::optional<uint64_t> ParseMeminfoField(std::string_view meminfo, std::string_view key) {
  std::optional<uint64_t> bytes;
  ForEachField(meminfo, [&](std::string_view field, std::string_view value) {
    if (field != key) return false;
    uint64_t number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc()) return true;
    const std::string_view unit = Trim(std::string_view(end, value.data() + value.size() - end));
    bytes = unit == "kB" ? number * 1024 : number;
    return true;
  });
  return bytes;
}

Capabilities ProbeCapabilities(const CapabilityOptions& options) {
  Capabilities caps;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) caps.hostname = host;
  struct utsname uts {};
  if (::uname(&uts) == 0) {
    caps.os = std::string(uts.sysname) + " " + uts.release + " " + uts.machine;
  }
  caps.cpu_model = ParseCpuModel(ReadText("/proc/cpuinfo"));
  caps.cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  const engine::CpuFeatures& features = engine::HostCpuFeatures();
  if (features.avx2_fma_f16c) caps.simd.push_back("avx2");
  if (features.avx512_vnni) caps.simd.push_back("avx512_vnni");

  const std::string meminfo = ReadText("/proc/meminfo");
  caps.ram_total = ParseMeminfoField(meminfo, "MemTotal").value_or(0);
  caps.ram_free = ParseMemAvailable(meminfo).value_or(0);
  auto minus_committed = [&](uint64_t bytes) {
    return bytes > options.committed_bytes ? bytes - options.committed_bytes : 0;
  };
  if (options.report_memory) {
    caps.ram_total = *options.report_memory;
    caps.ram_free = minus_committed(*options.report_memory);
  } else if (options.memory_limit) {
    caps.ram_free = minus_committed(*options.memory_limit);
  }
  struct statvfs fs {};
  const std::string dir = options.data_dir.empty() ? "." : options.data_dir;
  if (::statvfs(dir.c_str(), &fs) == 0) {
    caps.disk_free = static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
  }
  return caps;
}

nlohmann::json CapabilitiesToJson(const Capabilities& caps) {
  nlohmann::json out = {
      {"hostname", caps.hostname}, {"os", caps.os},     {"cpu_model", caps.cpu_model},
      {"cores", caps.cores},       {"simd", caps.simd}, {"ram_total", caps.ram_total},
      {"ram_free", caps.ram_free}, {"gpu", nullptr},    {"disk_free", caps.disk_free},
  };
  if (caps.gpu) out["gpu"] = *caps.gpu;
  return out;
}

}  // namespace locai::node::agent
