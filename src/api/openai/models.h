// OpenAI `GET /v1/models` and `GET /v1/models/{id}` bodies.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace locai::api::openai {

struct ModelInfo {
  std::string id;
  int64_t created = 0;  // Unix seconds
  std::string owned_by;

  bool operator==(const ModelInfo&) const = default;
};

// {id, object:"model", created, owned_by}
std::string SerializeModel(const ModelInfo& model);
// {object:"list", data:[model...]}
std::string SerializeModelList(std::span<const ModelInfo> models);

// The {id} of a "/v1/models/{id}" path (ids may contain '/', e.g. "org/name"; a query string is
// dropped), or an empty view when `path` is not under "/v1/models/". Percent-escapes are kept.
std::string_view ModelIdFromPath(std::string_view path);

}  // namespace locai::api::openai
