#include "control/registry/manifest.h"

#include <string>
#include <utility>

#include "engine/model/model.h"
#include "engine/model/model_config.h"

namespace locai::control::registry {
namespace {

constexpr int64_t kPlacementBatchTokens = 512;

}  // namespace

Result<ModelFacts> InspectModel(const std::string& path) {
  auto model = engine::Model::Load(path);
  if (!model) {
    return Err(Status::InvalidArgument("not a usable GGUF model: " + model.error().message()));
  }
  const engine::Model& m = **model;
  ModelFacts facts;
  facts.architecture = std::string(engine::ArchitectureName(m.config().arch));
  facts.quantization = std::string(m.DominantType());
  facts.parameters = m.parameter_count();
  facts.context_length = m.config().n_ctx_train;
  auto chat_template = m.file().GetStringOr("tokenizer.chat_template", "");
  if (chat_template) facts.chat_template = std::move(*chat_template);
  const engine::MemoryEstimate estimate =
      m.EstimateMemory(facts.context_length, /*n_sequences=*/1, kPlacementBatchTokens);
  facts.memory_weights = estimate.weights;
  facts.memory_kv_per_token = engine::KvCacheBytes(m.config(), 1);
  facts.memory_compute = estimate.compute;
  return facts;
}

nlohmann::json ManifestToJson(const Manifest& manifest) {
  const ModelFacts& f = manifest.facts;
  nlohmann::json json = {
      {"name", manifest.name},
      {"tag", manifest.tag},
      {"ref", manifest.name + ":" + manifest.tag},
      {"digest", manifest.digest},
      {"size", manifest.size},
      {"architecture", f.architecture},
      {"quantization", f.quantization},
      {"parameters", f.parameters},
      {"context_length", f.context_length},
      {"chat_template", nullptr},
      {"memory",
       {{"weights", f.memory_weights},
        {"kv_per_token", f.memory_kv_per_token},
        {"compute", f.memory_compute}}},
      {"created_at", manifest.created_at},
  };
  if (!f.chat_template.empty()) json["chat_template"] = f.chat_template;
  return json;
}

Result<Manifest> ManifestFromJson(const nlohmann::json& json) {
  auto bad = [](const char* field) {
    return Err(Status::InvalidArgument(std::string("manifest field '") + field + "' is invalid"));
  };
  if (!json.is_object()) return Err(Status::InvalidArgument("a manifest must be a JSON object"));
  Manifest m;
  auto get_string = [&](const char* field, std::string* out) {
    auto it = json.find(field);
    if (it == json.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto get_unsigned = [&](const nlohmann::json& object, const char* field, uint64_t* out) {
    auto it = object.find(field);
    if (it == object.end() || !it->is_number_integer()) return false;
    if (!it->is_number_unsigned() && it->get<int64_t>() < 0) return false;
    *out = it->get<uint64_t>();
    return true;
  };
  uint64_t context = 0, created = 0;
  if (!get_string("name", &m.name)) return bad("name");
  if (!get_string("tag", &m.tag)) return bad("tag");
  if (!get_string("digest", &m.digest)) return bad("digest");
  if (!get_unsigned(json, "size", &m.size)) return bad("size");
  if (!get_string("architecture", &m.facts.architecture)) return bad("architecture");
  if (!get_string("quantization", &m.facts.quantization)) return bad("quantization");
  if (!get_unsigned(json, "parameters", &m.facts.parameters)) return bad("parameters");
  if (!get_unsigned(json, "context_length", &context)) return bad("context_length");
  if (!get_unsigned(json, "created_at", &created)) return bad("created_at");
  m.facts.context_length = static_cast<int64_t>(context);
  m.created_at = static_cast<int64_t>(created);
  auto tmpl = json.find("chat_template");
  if (tmpl != json.end() && tmpl->is_string()) m.facts.chat_template = tmpl->get<std::string>();
  auto memory = json.find("memory");
  if (memory == json.end() || !memory->is_object()) return bad("memory");
  if (!get_unsigned(*memory, "weights", &m.facts.memory_weights)) return bad("memory.weights");
  if (!get_unsigned(*memory, "kv_per_token", &m.facts.memory_kv_per_token)) {
    return bad("memory.kv_per_token");
  }
  if (!get_unsigned(*memory, "compute", &m.facts.memory_compute)) return bad("memory.compute");
  return m;
}

}  // namespace locai::control::registry
