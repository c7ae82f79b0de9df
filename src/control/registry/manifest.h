// Manifests: what the registry knows about a model file, read by the engine from the GGUF
// (docs/control-plane.md, "HTTP API": the manifest fields).
//
// InspectModel loads the file as the node would (engine::Model::Load validates every tensor the
// architecture needs, memory-mapped, no weights copied), so a file the registry accepts is one a
// node can run. The memory figures let the server place a model before any byte is downloaded:
// a node needs weights + kv_per_token * context * parallel + compute bytes.
// Thread-safety: pure functions (InspectModel reads the file).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace locai::control::registry {

struct ModelFacts {
  std::string architecture;  // "llama", "qwen2"
  std::string quantization;  // the dominant weight type, e.g. "q4_K", "f16"
  uint64_t parameters = 0;
  int64_t context_length = 0;  // trained context length
  std::string chat_template;   // tokenizer.chat_template, may be empty
  uint64_t memory_weights = 0;
  uint64_t memory_kv_per_token = 0;
  uint64_t memory_compute = 0;  // at the trained context, one sequence, 512-token batches
};

struct Manifest {
  std::string name;
  std::string tag;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  ModelFacts facts;
  int64_t created_at = 0;  // Unix ms
};

// Loads the GGUF at `path` as a model. InvalidArgument ("not a usable GGUF model: ...") when it
// does not load, with the engine's reason.
Result<ModelFacts> InspectModel(const std::string& path);

// {name, tag, ref, digest, size, architecture, quantization, parameters, context_length,
//  chat_template (null when empty), memory: {weights, kv_per_token, compute}, created_at}
nlohmann::json ManifestToJson(const Manifest& manifest);
// Reads what ManifestToJson wrote (as stored); InvalidArgument for a missing or mistyped field.
Result<Manifest> ManifestFromJson(const nlohmann::json& json);

}  // namespace locai::control::registry
