// The fleet link's messages (docs/control-plane.md, "Fleet link"): one JSON object per WebSocket
// text frame, with a `type`. Parsing of what nodes send, serialisation of what the server sends.
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace locai::control::fleet {

// One model as a node reports it (`models[]` of hello/heartbeat, or a `model_status`).
struct ModelReport {
  std::string digest;
  std::vector<std::string> names;
  std::string state;    // pending, downloading, verifying, loading, ready, failed, removing, ...
  double progress = 0;  // 0..1, meaningful while downloading
  std::string reason;   // for failed / does_not_fit

  bool operator==(const ModelReport&) const = default;
};

nlohmann::json ModelReportToJson(const ModelReport& report);

enum class NodeMessageType {
  kHello,
  kHeartbeat,
  kModelStatus,
  // Inference over the fleet link (node_jobs.h): the answer to a `job`.
  kJobHead,
  kJobData,
  kJobEnd,
  kJobError,
  // The node's own (route local) generation requests, for the audit log and metering.
  kRequestLog,
};

// One record of a `request_log` frame (never prompt or completion text).
struct NodeRequestRecord {
  std::string request_id;
  std::string endpoint;
  std::string model;
  int status = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t duration_ms = 0;
  int64_t at_ms = 0;
  std::string error;
};

struct NodeMessage {
  NodeMessageType type = NodeMessageType::kHeartbeat;
  std::string node_id;  // hello
  std::string version;  // hello
  // hello/heartbeat: the capabilities object, or null when the message has none.
  nlohmann::json capabilities;
  bool has_models = false;  // hello/heartbeat carried `models`
  std::vector<ModelReport> models;
  ModelReport model_status;  // model_status
  int64_t queue_depth = 0;
  double tokens_per_second = 0;
  // job_head / job_data / job_end / job_error
  std::string job_id;
  int job_status = 0;                                            // job_head
  std::vector<std::pair<std::string, std::string>> job_headers;  // job_head
  std::string job_data;                                          // job_data
  int64_t prompt_tokens = 0;                                     // job_end usage
  int64_t completion_tokens = 0;                                 // job_end usage
  std::string job_message;                                       // job_error
  std::vector<NodeRequestRecord> records;                        // request_log
};

// Parses one frame. InvalidArgument for invalid JSON, a missing or unknown `type`, or fields of
// the wrong type (a model without a digest, a non-object capabilities, ...). Unknown fields are
// ignored so that newer nodes can add some.
Result<NodeMessage> ParseNodeMessage(std::string_view text);

// One entry of `desired_models`.
struct DesiredModel {
  std::string digest;
  std::vector<std::string> names;  // sorted, unique
  int64_t size = 0;
  int64_t context_length = 0;
  int64_t parallel = 1;

  bool operator==(const DesiredModel&) const = default;
};

// {"type":"welcome","heartbeat_seconds":N}
std::string WelcomeMessage(int heartbeat_seconds);
// {"type":"desired_models","models":[{digest,names,size,context_length,parallel},...]}
std::string DesiredModelsMessage(const std::vector<DesiredModel>& models);
// {"type":"job","id":J,"method":M,"path":P,"headers":{...},"body":"..."}
std::string JobMessage(std::string_view id, std::string_view method, std::string_view path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::string_view body);
// {"type":"job_cancel","id":J}
std::string JobCancelMessage(std::string_view id);
// {"type":"revoked","reason":"..."}
std::string RevokedMessage(std::string_view reason);

}  // namespace locai::control::fleet
