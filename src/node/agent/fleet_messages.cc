#include "node/agent/fleet_messages.h"

#include "node/agent/blob_puller.h"

namespace locai::node::agent {
namespace {

using nlohmann::json;

Result<DesiredModel> ParseDesired(const json& object) {
  if (!object.is_object()) return Err(Status::InvalidArgument("a desired model must be an object"));
  DesiredModel model;
  auto digest = object.find("digest");
  if (digest == object.end() || !digest->is_string() ||
      !IsValidDigest(digest->get<std::string>())) {
    return Err(Status::InvalidArgument("a desired model needs a digest sha256:<64 hex>"));
  }
  model.digest = digest->get<std::string>();
  if (auto names = object.find("names"); names != object.end() && !names->is_null()) {
    if (!names->is_array()) return Err(Status::InvalidArgument("names must be an array"));
    for (const auto& name : *names) {
      if (!name.is_string() || name.get<std::string>().empty()) {
        return Err(Status::InvalidArgument("names must be non-empty strings"));
      }
      model.names.push_back(name.get<std::string>());
    }
  }
  auto number = [&](const char* key, auto* out) -> Status {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return Status::Ok();
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return Status::InvalidArgument(std::string(key) + " must be a non-negative integer");
    }
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(it->get<int64_t>());
    return Status::Ok();
  };
  LOCAI_RETURN_IF_ERROR(number("size", &model.size));
  LOCAI_RETURN_IF_ERROR(number("context_length", &model.context_length));
  LOCAI_RETURN_IF_ERROR(number("parallel", &model.parallel));
  return model;
}

Status ParseJob(const json& doc, bool cancel, JobRequest* job) {
  auto string_field = [&](const char* key, std::string* out) -> Status {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return Status::Ok();
    if (!it->is_string())
      return Status::InvalidArgument(std::string("job ") + key + " must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  LOCAI_RETURN_IF_ERROR(string_field("id", &job->id));
  if (job->id.empty()) return Status::InvalidArgument("a job needs an id");
  if (cancel) return Status::Ok();
  LOCAI_RETURN_IF_ERROR(string_field("method", &job->method));
  LOCAI_RETURN_IF_ERROR(string_field("path", &job->path));
  LOCAI_RETURN_IF_ERROR(string_field("body", &job->body));
  if (job->path.empty() || job->path.front() != '/') {
    return Status::InvalidArgument("a job needs a path starting with '/'");
  }
  if (auto it = doc.find("headers"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("job headers must be an object");
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) return Status::InvalidArgument("a job header must be a string");
      job->headers.emplace_back(name, value.get<std::string>());
    }
  }
  return Status::Ok();
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<ServerMessage> ParseServerMessage(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Err(Status::InvalidArgument("a fleet message must be a JSON object"));
  }
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) {
    return Err(Status::InvalidArgument("a fleet message needs a type"));
  }
  ServerMessage message;
  message.type_name = type->get<std::string>();
  if (message.type_name == "welcome") {
    message.type = ServerMessage::Type::kWelcome;
    auto seconds = doc.find("heartbeat_seconds");
    if (seconds != doc.end() && seconds->is_number() && seconds->get<double>() >= 1) {
      message.heartbeat_seconds = static_cast<int>(std::min(seconds->get<double>(), 3600.0));
    }
  } else if (message.type_name == "desired_models") {
    message.type = ServerMessage::Type::kDesiredModels;
    auto models = doc.find("models");
    if (models == doc.end() || !models->is_array()) {
      return Err(Status::InvalidArgument("desired_models needs a models array"));
    }
    for (const auto& object : *models) {
      LOCAI_ASSIGN_OR_RETURN(DesiredModel model, ParseDesired(object));
      message.models.push_back(std::move(model));
    }
  } else if (message.type_name == "revoked") {
    message.type = ServerMessage::Type::kRevoked;
    auto reason = doc.find("reason");
    if (reason != doc.end() && reason->is_string()) message.reason = reason->get<std::string>();
  } else if (message.type_name == "job" || message.type_name == "job_cancel") {
    const bool cancel = message.type_name == "job_cancel";
    message.type = cancel ? ServerMessage::Type::kJobCancel : ServerMessage::Type::kJob;
    LOCAI_RETURN_IF_ERROR(ParseJob(doc, cancel, &message.job));
  }
  return message;
}

json ModelStateToJson(const ModelState& state) {
  return {{"digest", state.digest},
          {"names", state.names},
          {"state", state.state},
          {"progress", state.progress},
          {"reason", state.reason}};
}

namespace {
json ModelsJson(const std::vector<ModelState>& models) {
  json list = json::array();
  for (const auto& model : models) list.push_back(ModelStateToJson(model));
  return list;
}
}  // namespace

std::string HelloMessage(std::string_view node_id, std::string_view version,
                         const json& capabilities, const std::vector<ModelState>& models) {
  return json{{"type", "hello"},
              {"node_id", node_id},
              {"version", version},
              {"capabilities", capabilities},
              {"models", ModelsJson(models)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string HeartbeatMessage(const json& capabilities, const std::vector<ModelState>& models,
                             int64_t queue_depth, double tokens_per_second) {
  return json{{"type", "heartbeat"},
              {"capabilities", capabilities},
              {"models", ModelsJson(models)},
              {"queue_depth", queue_depth},
              {"tokens_per_second", tokens_per_second}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ModelStatusMessage(const ModelState& state) {
  json out = ModelStateToJson(state);
  out["type"] = "model_status";
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RequestLogMessage(const std::vector<RequestRecord>& records, int64_t dropped) {
  json list = json::array();
  for (const RequestRecord& record : records) {
    list.push_back({{"request_id", record.request_id},
                    {"endpoint", record.endpoint},
                    {"model", record.model},
                    {"status", record.status},
                    {"prompt_tokens", record.prompt_tokens},
                    {"completion_tokens", record.completion_tokens},
                    {"duration_ms", record.duration_ms},
                    {"at_ms", record.at_ms},
                    {"error", record.error}});
  }
  json out = {{"type", "request_log"}, {"records", std::move(list)}};
  if (dropped > 0) out["dropped"] = dropped;
  return Dump(out);
}

std::string JobHeadMessage(std::string_view id, int status,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  json object = json::object();
  for (const auto& [name, value] : headers) object[name] = value;
  return Dump(json{{"type", "job_head"}, {"id", id}, {"status", status}, {"headers", object}});
}

std::string JobDataMessage(std::string_view id, std::string_view data) {
  return Dump(json{{"type", "job_data"}, {"id", id}, {"data", data}});
}

std::string JobEndMessage(std::string_view id, int64_t prompt_tokens, int64_t completion_tokens) {
  return Dump(json{
      {"type", "job_end"},
      {"id", id},
      {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}}}});
}

std::string JobErrorMessage(std::string_view id, std::string_view message) {
  return Dump(json{{"type", "job_error"}, {"id", id}, {"message", message}});
}

}  // namespace locai::node::agent
