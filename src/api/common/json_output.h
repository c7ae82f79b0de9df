// JSON output helpers shared by the serialisers: insertion-ordered objects (so bodies list keys in
// the order the official APIs do) and a dump that never throws.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace locai::api {

using OrderedJson = nlohmann::ordered_json;

// Compact JSON text. Invalid UTF-8 in strings (a token that ends inside a multi-byte character)
// becomes U+FFFD instead of throwing.
inline std::string DumpJson(const OrderedJson& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}
inline std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// null for an empty string, else the string (OpenAI's nullable string fields).
inline OrderedJson StringOrNull(const std::string& value) {
  return value.empty() ? OrderedJson(nullptr) : OrderedJson(value);
}

}  // namespace locai::api
