// Request headers as the API layer needs them: a case-insensitive lookup over a plain list and the
// API key as the OpenAI and Anthropic SDKs send it.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locai::api {

// Header (name, value) pairs as received; names in any case.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (ASCII case-insensitive), or nullopt.
std::optional<std::string_view> FindHeader(const HeaderList& headers, std::string_view name);

// The API key: `x-api-key` when present and non-empty (Anthropic's header, which wins when both
// are sent), else the token of `Authorization: Bearer <token>` (scheme case-insensitive,
// surrounding whitespace trimmed). nullopt when neither yields a non-empty key.
std::optional<std::string> ExtractApiKey(const HeaderList& headers);

}  // namespace locai::api
