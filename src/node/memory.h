// Memory accounting for model loads: how much the device has, and the check that refuses a model
// that would not fit (the message is the signal the control plane uses to route elsewhere).
// Thread-safety: pure functions (ReadMemAvailable reads /proc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/model/model.h"

namespace locai::node {

// MemAvailable from a /proc/meminfo text, in bytes; nullopt when absent or malformed.
std::optional<uint64_t> ParseMemAvailable(std::string_view meminfo);
// MemAvailable of this machine (reads /proc/meminfo), or nullopt when unknown.
std::optional<uint64_t> ReadMemAvailable();
// Resident set size of this process in bytes (from /proc/self/statm), 0 when unknown.
uint64_t ReadProcessRss();

// "1.5 GiB", "12.0 MiB", "512 B".
std::string FormatBytes(uint64_t bytes);

// OK when `estimate.total()` fits in `available` bytes; otherwise ResourceExhausted with a message
// such as "model 'x' needs 1.2 GiB (weights 700.0 MiB + KV cache 512.0 MiB for 4096 tokens x 4
// sequences + compute 20.0 MiB) but only 900.0 MiB is available".
Status CheckFits(std::string_view model, const engine::MemoryEstimate& estimate,
                 int64_t context_length, int32_t n_sequences, uint64_t available);

}  // namespace locai::node
