// Capabilities: what the device reports to the control plane (docs/control-plane.md, Fleet link):
// `{hostname, os, cpu_model, cores, simd, ram_total, ram_free, gpu, disk_free}`, sizes in bytes.
// Placement decides with ram_free, so the node's --memory-limit replaces it, and the test seam
// --report-memory (three nodes with different memory on one machine in the end-to-end test)
// replaces both ram_total and ram_free.
// Thread-safety: pure functions (ProbeCapabilities reads /proc, uname and statvfs).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace locai::node::agent {

struct Capabilities {
  std::string hostname;
  std::string os;         // "Linux 6.1.0-18-amd64 x86_64"
  std::string cpu_model;  // "AMD EPYC 7B13", or "" when unknown
  int64_t cores = 0;
  std::vector<std::string> simd;  // "avx2", "avx512_vnni" as the engine's kernels use them
  uint64_t ram_total = 0;
  uint64_t ram_free = 0;
  std::optional<std::string> gpu;  // none on CPU builds: null
  uint64_t disk_free = 0;          // of the data directory's file system
};

struct CapabilityOptions {
  std::string data_dir;  // disk_free is measured here
  // --memory-limit: ram_free = limit - committed_bytes (replaces MemAvailable).
  std::optional<uint64_t> memory_limit;
  // --report-memory: ram_total = this, ram_free = this - committed_bytes (overrides both above).
  std::optional<uint64_t> report_memory;
  uint64_t committed_bytes = 0;  // memory estimates of the models the node has loaded
};

// Probes this machine.
Capabilities ProbeCapabilities(const CapabilityOptions& options);

// The JSON object sent in hello, heartbeat and the enrolment.
nlohmann::json CapabilitiesToJson(const Capabilities& capabilities);

// The first "model name" of a /proc/cpuinfo text, or "" when absent.
std::string ParseCpuModel(std::string_view cpuinfo);
// A "Key: N kB" field of a /proc/meminfo text in bytes, or nullopt.
std::optional<uint64_t> ParseMeminfoField(std::string_view meminfo, std::string_view key);

}  // namespace locai::node::agent
