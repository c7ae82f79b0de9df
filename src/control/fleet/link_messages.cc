#include "control/fleet/link_messages.h"

namespace locai::control::fleet {
namespace {

using nlohmann::json;

// Serialises without throwing: invalid UTF-8 (from a node or a name) is replaced.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status OptionalString(const json& object, const char* key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

template <typename T>
Status OptionalNumber(const json& object, const char* key, T* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return Status::InvalidArgument(std::string(key) + " must be a number");
  *out = it->get<T>();
  return Status::Ok();
}

Result<ModelReport> ParseModelReport(const json& object) {
  if (!object.is_object()) return Err(Status::InvalidArgument("a model must be an object"));
  ModelReport report;
  LOCAI_RETURN_IF_ERROR(OptionalString(object, "digest", &report.digest));
  if (report.digest.empty()) return Err(Status::InvalidArgument("a model needs a digest"));
  LOCAI_RETURN_IF_ERROR(OptionalString(object, "state", &report.state));
  LOCAI_RETURN_IF_ERROR(OptionalString(object, "reason", &report.reason));
  LOCAI_RETURN_IF_ERROR(OptionalNumber(object, "progress", &report.progress));
  if (auto it = object.find("names"); it != object.end() && !it->is_null()) {
    if (!it->is_array()) return Err(Status::InvalidArgument("names must be an array"));
    for (const auto& name : *it) {
      if (!name.is_string()) return Err(Status::InvalidArgument("names must hold strings"));
      report.names.push_back(name.get<std::string>());
    }
  }
  return report;
}

Status ParseStatusFields(const json& object, NodeMessage* message) {
  if (auto it = object.find("capabilities"); it != object.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("capabilities must be an object");
    message->capabilities = *it;
  }
  if (auto it = object.find("models"); it != object.end() && !it->is_null()) {
    if (!it->is_array()) return Status::InvalidArgument("models must be an array");
    message->has_models = true;
    for (const auto& entry : *it) {
      LOCAI_ASSIGN_OR_RETURN(ModelReport report, ParseModelReport(entry));
      message->models.push_back(std::move(report));
    }
  }
  LOCAI_RETURN_IF_ERROR(OptionalNumber(object, "queue_depth", &message->queue_depth));
  return OptionalNumber(object, "tokens_per_second", &message->tokens_per_second);
}

Status ParseJobFields(const json& object, NodeMessage* message) {
  LOCAI_RETURN_IF_ERROR(OptionalString(object, "id", &message->job_id));
  if (message->job_id.empty()) return Status::InvalidArgument("a job frame needs an id");
  switch (message->type) {
    case NodeMessageType::kJobHead:
      LOCAI_RETURN_IF_ERROR(OptionalNumber(object, "status", &message->job_status));
      if (message->job_status < 100 || message->job_status > 599) {
        return Status::InvalidArgument("job_head needs an HTTP status");
      }
      if (auto it = object.find("headers"); it != object.end() && !it->is_null()) {
        if (!it->is_object()) return Status::InvalidArgument("headers must be an object");
        for (const auto& [name, value] : it->items()) {
          if (!value.is_string()) return Status::InvalidArgument("a header must be a string");
          message->job_headers.emplace_back(name, value.get<std::string>());
        }
      }
      return Status::Ok();
    case NodeMessageType::kJobData:
      return OptionalString(object, "data", &message->job_data);
    case NodeMessageType::kJobEnd:
      if (auto it = object.find("usage"); it != object.end() && !it->is_null()) {
        if (!it->is_object()) return Status::InvalidArgument("usage must be an object");
        LOCAI_RETURN_IF_ERROR(OptionalNumber(*it, "prompt_tokens", &message->prompt_tokens));
        LOCAI_RETURN_IF_ERROR(
            OptionalNumber(*it, "completion_tokens", &message->completion_tokens));
      }
      return Status::Ok();
    default:
      return OptionalString(object, "message", &message->job_message);
  }
}

Status ParseRequestLog(const json& object, NodeMessage* message) {
  auto it = object.find("records");
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return Status::InvalidArgument("records must be an array");
  for (const auto& entry : *it) {
    if (!entry.is_object()) return Status::InvalidArgument("a record must be an object");
    NodeRequestRecord record;
    LOCAI_RETURN_IF_ERROR(OptionalString(entry, "request_id", &record.request_id));
    LOCAI_RETURN_IF_ERROR(OptionalString(entry, "endpoint", &record.endpoint));
    LOCAI_RETURN_IF_ERROR(OptionalString(entry, "model", &record.model));
    LOCAI_RETURN_IF_ERROR(OptionalNumber(entry, "status", &record.status));
    LOCAI_RETURN_IF_ERROR(OptionalNumber(entry, "prompt_tokens", &record.prompt_tokens));
    LOCAI_RETURN_IF_ERROR(OptionalNumber(entry, "completion_tokens", &record.completion_tokens));
    LOCAI_RETURN_IF_ERROR(OptionalNumber(entry, "duration_ms", &record.duration_ms));
    LOCAI_RETURN_IF_ERROR(OptionalNumber(entry, "at_ms", &record.at_ms));
    LOCAI_RETURN_IF_ERROR(OptionalString(entry, "error", &record.error));
    message->records.push_back(std::move(record));
  }
  return Status::Ok();
}

}  // namespace

json ModelReportToJson(const ModelReport& report) {
  return {{"digest", report.digest},
          {"names", report.names},
          {"state", report.state},
          {"progress", report.progress},
          {"reason", report.reason}};
}

Result<NodeMessage> ParseNodeMessage(std::string_view text) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return Err(Status::InvalidArgument("a fleet message must be a JSON object"));
  }
  std::string type;
  LOCAI_RETURN_IF_ERROR(OptionalString(object, "type", &type));
  NodeMessage message;
  if (type == "hello") {
    message.type = NodeMessageType::kHello;
    LOCAI_RETURN_IF_ERROR(OptionalString(object, "node_id", &message.node_id));
    LOCAI_RETURN_IF_ERROR(OptionalString(object, "version", &message.version));
    LOCAI_RETURN_IF_ERROR(ParseStatusFields(object, &message));
  } else if (type == "heartbeat") {
    message.type = NodeMessageType::kHeartbeat;
    LOCAI_RETURN_IF_ERROR(ParseStatusFields(object, &message));
  } else if (type == "model_status") {
    message.type = NodeMessageType::kModelStatus;
    LOCAI_ASSIGN_OR_RETURN(message.model_status, ParseModelReport(object));
  } else if (type == "job_head" || type == "job_data" || type == "job_end" || type == "job_error") {
    message.type = type == "job_head"   ? NodeMessageType::kJobHead
                   : type == "job_data" ? NodeMessageType::kJobData
                   : type == "job_end"  ? NodeMessageType::kJobEnd
                                        : NodeMessageType::kJobError;
    LOCAI_RETURN_IF_ERROR(ParseJobFields(object, &message));
  } else if (type == "request_log") {
    message.type = NodeMessageType::kRequestLog;
    LOCAI_RETURN_IF_ERROR(ParseRequestLog(object, &message));
  } else if (type.empty()) {
    return Err(Status::InvalidArgument("a fleet message needs a type"));
  } else {
    return Err(Status::InvalidArgument("unknown fleet message type \"" + type + "\""));
  }
  return message;
}

std::string WelcomeMessage(int heartbeat_seconds) {
  return Dump(json{{"type", "welcome"}, {"heartbeat_seconds", heartbeat_seconds}});
}

std::string DesiredModelsMessage(const std::vector<DesiredModel>& models) {
  json list = json::array();
  for (const auto& model : models) {
    list.push_back({{"digest", model.digest},
                    {"names", model.names},
                    {"size", model.size},
                    {"context_length", model.context_length},
                    {"parallel", model.parallel}});
  }
  return Dump(json{{"type", "desired_models"}, {"models", std::move(list)}});
}

std::string JobMessage(std::string_view id, std::string_view method, std::string_view path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::string_view body) {
  json header_object = json::object();
  for (const auto& [name, value] : headers) header_object[name] = value;
  return Dump(json{{"type", "job"},
                   {"id", id},
                   {"method", method},
                   {"path", path},
                   {"headers", std::move(header_object)},
                   {"body", body}});
}

std::string JobCancelMessage(std::string_view id) {
  return Dump(json{{"type", "job_cancel"}, {"id", id}});
}

std::string RevokedMessage(std::string_view reason) {
  return Dump(json{{"type", "revoked"}, {"reason", reason}});
}

}  // namespace locai::control::fleet
