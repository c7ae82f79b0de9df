// The node's side of the fleet link's messages (docs/control-plane.md, Fleet link): serialising
// hello / heartbeat / model_status, parsing welcome / desired_models / revoked. One JSON object
// per WebSocket text frame, with a `type`.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
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

// A `job`: an HTTP request for the node's API carried over the link (docs/control-plane.md,
// "Inference over the fleet link").
struct JobRequest {
  std::string id;
  std::string method = "POST";
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ServerMessage {
  enum class Type { kWelcome, kDesiredModels, kRevoked, kJob, kJobCancel, kUnknown };
  Type type = Type::kUnknown;
  int heartbeat_seconds = 5;         // welcome
  std::vector<DesiredModel> models;  // desired_models
  std::string reason;                // revoked
  JobRequest job;                    // job; job_cancel (its id only)
  std::string type_name;             // as sent (for logging an unknown type)
};

// One generation request the node served on its own HTTP API, as `request_log` reports it
// (never prompt or completion text).
struct RequestRecord {
  std::string request_id;
  std::string endpoint;
  std::string model;
  int status = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t duration_ms = 0;
  int64_t at_ms = 0;  // unix ms, when the request arrived
  std::string error;
};

// Parses a frame from the server. InvalidArgument for invalid JSON, a missing type, a
// desired model without a valid digest or with names that are not strings, or a job without an
// id or a path starting with '/' (or with headers or a body that are not strings). An unknown type
// is not an error (Type::kUnknown), so that a newer server can add messages.
[[nodiscard]] Result<ServerMessage> ParseServerMessage(std::string_view text);

nlohmann::json ModelStateToJson(const ModelState& state);
std::string HelloMessage(std::string_view node_id, std::string_view version,
                         const nlohmann::json& capabilities, const std::vector<ModelState>& models);
std::string HeartbeatMessage(const nlohmann::json& capabilities,
                             const std::vector<ModelState>& models, int64_t queue_depth,
                             double tokens_per_second);
std::string ModelStatusMessage(const ModelState& state);
// {"type":"request_log","records":[...],"dropped":N} (dropped: records lost to a full buffer
// since the last frame).
std::string RequestLogMessage(const std::vector<RequestRecord>& records, int64_t dropped);
// The answer to a job: job_head {id,status,headers}, job_data {id,data}, job_end {id,usage},
// job_error {id,message}.
std::string JobHeadMessage(std::string_view id, int status,
                           const std::vector<std::pair<std::string, std::string>>& headers);
std::string JobDataMessage(std::string_view id, std::string_view data);
std::string JobEndMessage(std::string_view id, int64_t prompt_tokens, int64_t completion_tokens);
std::string JobErrorMessage(std::string_view id, std::string_view message);

}  // namespace locai::node::agent
