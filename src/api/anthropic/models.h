// Anthropic `GET /v1/models` and `GET /v1/models/{id}` bodies (the shape `@anthropic-ai/sdk`
// parses; a server tells the two APIs apart by the anthropic-version header).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace locai::api::anthropic {

struct ModelInfo {
  std::string id;
  std::string display_name;
  int64_t created = 0;  // Unix seconds

  bool operator==(const ModelInfo&) const = default;
};

// {type:"model", id, display_name, created_at} with created_at in RFC 3339 ("...Z").
std::string SerializeModel(const ModelInfo& model);
// {data:[model...], has_more:false, first_id, last_id} (ids null when the list is empty).
std::string SerializeModelList(std::span<const ModelInfo> models);

// "YYYY-MM-DDTHH:MM:SSZ" for Unix seconds (proleptic Gregorian, UTC; years 0..9999 and beyond).
std::string FormatRfc3339(int64_t unix_seconds);

}  // namespace locai::api::anthropic
