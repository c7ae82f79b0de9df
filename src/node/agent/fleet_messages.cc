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

}  // namespace locai::node::agent
