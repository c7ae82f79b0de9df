// The node's side of the fleet link's messages (docs/control-plane.md, Fleet link): serialising
// hello / heartbeat / model_status, parsing welcome / desired_models / revoked. One JSON object
// per WebSocket text frame, with a `type`.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace locai::node::agent {

// One entry of `desired_models`.
struct DesiredModel {
  std::string digest;              // "sha256:<hex>"
  std::vector<std::string> names;  // registry names, "llama3.2:1b"
  uint64_t size = 0;
  int64_t context_length = 0;  // 0: the node's default
  int32_t parallel = 0;        // 0: the node's default

  bool operator==(const DesiredModel&) const = default;
};

// A model as the node reports it.
struct ModelState {
  std::string digest;
  std::vector<std::string> names;
  // pending, downloading, verifying, loading, ready, failed, does_not_fit, removing, removed
  std::string state;
  double progress = 0;  // 0..1
  std::string reason;   // for failed / does_not_fit

  bool operator==(const ModelState&) const = default;
};

struct ServerMessage {
  enum class Type { kWelcome, kDesiredModels, kRevoked, kUnknown };
  Type type = Type::kUnknown;
  int heartbeat_seconds = 5;         // welcome
  std::vector<DesiredModel> models;  // desired_models
  std::string reason;                // revoked
  std::string type_name;             // as sent (for logging an unknown type)
};

// Parses a frame from the server. InvalidArgument for invalid JSON, a missing type, or a
// desired model without a valid digest or with names that are not strings. An unknown type is not
// an error (Type::kUnknown), so that a newer server can add messages.
[[nodiscard]] Result<ServerMessage> ParseServerMessage(std::string_view text);

nlohmann::json ModelStateToJson(const ModelState& state);
std::string HelloMessage(std::string_view node_id, std::string_view version,
                         const nlohmann::json& capabilities, const std::vector<ModelState>& models);
std::string HeartbeatMessage(const nlohmann::json& capabilities,
                             const std::vector<ModelState>& models, int64_t queue_depth,
                             double tokens_per_second);
std::string ModelStatusMessage(const ModelState& state);

}  // namespace locai::node::agent
