#include "api/openai/models.h"

#include "api/common/json_output.h"

namespace locai::api::openai {
namespace {

OrderedJson ModelJson(const ModelInfo& model) {
  OrderedJson out;
  out["id"] = model.id;
  out["object"] = "model";
  out["created"] = model.created;
  out["owned_by"] = model.owned_by;
  return out;
}

}  // namespace

std::string SerializeModel(const ModelInfo& model) { return DumpJson(ModelJson(model)); }

std::string SerializeModelList(std::span<const ModelInfo> models) {
  OrderedJson body;
  body["object"] = "list";
  body["data"] = OrderedJson::array();
  for (const ModelInfo& model : models) body["data"].push_back(ModelJson(model));
  return DumpJson(body);
}

std::string_view ModelIdFromPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/v1/models/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return {};
  path.remove_prefix(kPrefix.size());
  if (size_t query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
  return path;
}

}  // namespace locai::api::openai
