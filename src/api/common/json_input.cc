#include "api/common/json_input.h"

#include <cmath>
#include <limits>
#include <utility>

namespace locai::api {

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return false;
        break;
      case ']':
      case '}':
        // Unbalanced closers are left for the parser to reject.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

ApiResult<Json> ParseJsonObject(std::string_view body, int max_depth) {
  if (!JsonDepthWithin(body, max_depth)) {
    return ApiErr(InvalidRequest("The request body nests JSON deeper than " +
                                 std::to_string(max_depth) + " levels."));
  }
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return ApiErr(InvalidRequest(
        "We could not parse the JSON body of your request. The body must be valid JSON."));
  }
  if (!parsed.is_object()) {
    return ApiErr(InvalidRequest("The request body must be a JSON object, but got " +
                                 DescribeJsonType(parsed) + "."));
  }
  return parsed;
}

void ParseErrors::Fail(std::string param, std::string message, std::string code) {
  if (error_) return;
  error_ = InvalidRequest(std::move(message), std::move(param), std::move(code));
}

void ParseErrors::Fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

std::string ParseErrors::Join(std::string_view parent, std::string_view key) const {
  if (parent.empty()) return std::string(key);
  std::string out(parent);
  out += '.';
  out += key;
  return out;
}

std::string ParseErrors::Index(std::string_view parent, size_t index) const {
  std::string out(parent);
  if (style_ == PathStyle::kOpenAi) {
    out += '[' + std::to_string(index) + ']';
  } else {
    out += '.' + std::to_string(index);
  }
  return out;
}

std::string DescribeJsonType(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a decimal number";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::null:
      return "null";
    default:
      return "an unsupported value";
  }
}

std::optional<int64_t> IntegerValue(const Json& value, int64_t min, int64_t max) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    auto as_signed = static_cast<int64_t>(v);
    if (as_signed < min || as_signed > max) return std::nullopt;
    return as_signed;
  }
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    if (v < min || v > max) return std::nullopt;
    return v;
  }
  if (value.is_number_float()) {
    double v = value.get<double>();
    if (!std::isfinite(v) || std::floor(v) != v) return std::nullopt;
    // Compare in double space before converting, so huge values cannot overflow the cast.
    if (v < static_cast<double>(min) || v > static_cast<double>(max)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  return std::nullopt;
}

const Json* ObjectReader::Find(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ObjectReader::Require(std::string_view key) {
  if (Find(key) != nullptr) return true;
  errors_.Fail(PathOf(key), "Missing required parameter: '" + PathOf(key) + "'.");
  return false;
}

void ObjectReader::TypeError(std::string_view key, std::string_view expected, const Json& got) {
  std::string param = PathOf(key);
  errors_.Fail(param, "Invalid type for '" + param + "': expected " + std::string(expected) +
                          ", but got " + DescribeJsonType(got) + " instead.");
}

void ObjectReader::ValueError(std::string_view key, std::string_view message) {
  std::string param = PathOf(key);
  errors_.Fail(param, "Invalid value for '" + param + "': " + std::string(message));
}

std::optional<std::string> ObjectReader::String(std::string_view key) {
  const Json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    TypeError(key, "a string", *value);
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<bool> ObjectReader::Bool(std::string_view key) {
  const Json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    TypeError(key, "a boolean", *value);
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<double> ObjectReader::Number(std::string_view key, double min, double max) {
  const Json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    TypeError(key, "a number", *value);
    return std::nullopt;
  }
  double v = value->get<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    // Format bounds without trailing zeros: 2 rather than 2.000000.
    auto format = [](double bound) {
      std::string text = std::to_string(bound);
      while (!text.empty() && text.back() == '0') text.pop_back();
      if (!text.empty() && text.back() == '.') text.pop_back();
      return text;
    };
    ValueError(key, "must be between " + format(min) + " and " + format(max) + ".");
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> ObjectReader::Integer(std::string_view key, int64_t min, int64_t max) {
  const Json* value = Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    TypeError(key, "an integer", *value);
    return std::nullopt;
  }
  std::optional<int64_t> v = IntegerValue(*value, min, max);
  if (!v) {
    if (value->is_number_float() && std::floor(value->get<double>()) != value->get<double>()) {
      TypeError(key, "an integer", *value);
    } else {
      ValueError(key, "must be an integer between " + std::to_string(min) + " and " +
                          std::to_string(max) + ".");
    }
  }
  return v;
}

const Json* ObjectReader::Object(std::string_view key) {
  const Json* value = Find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    TypeError(key, "an object", *value);
    return nullptr;
  }
  return value;
}

const Json* ObjectReader::Array(std::string_view key) {
  const Json* value = Find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    TypeError(key, "an array", *value);
    return nullptr;
  }
  return value;
}

}  // namespace locai::api
