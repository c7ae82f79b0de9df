// Safe JSON input: a cheap nesting-depth pre-scan, a parse that never throws, and ObjectReader,
// which reads typed, range-checked fields and records the first error with its `param` path.
//
// Nothing here throws: values are type-checked before any get<T>(). A body nested deeper than
// kMaxJsonDepth is refused before nlohmann parses it (its recursive parser and destructor would
// otherwise overflow the stack). Thread-safety: ObjectReader and ParseErrors are not shared;
// everything else is a pure function.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/common/api_error.h"

namespace locai::api {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 64;

// True when no array/object in `text` nests deeper than `max_depth` (brackets inside strings are
// not counted). Linear, no allocation; does not validate the JSON otherwise.
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses a request body that must be a JSON object. Errors (400 invalid_request_error): nesting too
// deep, invalid JSON, or a top-level value that is not an object.
ApiResult<Json> ParseJsonObject(std::string_view body, int max_depth = kMaxJsonDepth);

// How field paths are written in error params: OpenAI "messages[2].content", Anthropic
// "messages.2.content".
enum class PathStyle { kOpenAi, kAnthropic };

// Collects the first error of a parse; later failures are ignored (the first is the one to
// report).
class ParseErrors {
 public:
  explicit ParseErrors(PathStyle style) : style_(style) {}
  PathStyle style() const { return style_; }
  bool ok() const { return !error_.has_value(); }
  // Records a 400 invalid_request_error unless an error is already recorded.
  void Fail(std::string param, std::string message, std::string code = "");
  void Fail(ApiError error);
  const ApiError& error() const { return *error_; }
  ApiError TakeError() { return std::move(*error_); }

  // "parent.key" and "parent[3]" / "parent.3" in this style.
  std::string Join(std::string_view parent, std::string_view key) const;
  std::string Index(std::string_view parent, size_t index) const;

 private:
  PathStyle style_;
  std::optional<ApiError> error_;
};

// "a string", "an integer", "a number", "an object", "an array", "a boolean", "null".
std::string DescribeJsonType(const Json& value);

// Reads fields of one JSON object. Absent and null fields read as std::nullopt (OpenAI and the
// SDKs treat an explicit null as "not given"). A present field of the wrong type or outside its
// range records an error in `errors` and reads as std::nullopt. The reader refers to `object` and
// `errors`; both must outlive it.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, ParseErrors& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  // The field, or nullptr when absent or null.
  const Json* Find(std::string_view key) const;
  // True when the key is present, even with a null value.
  bool Has(std::string_view key) const { return object_.contains(key); }
  // The param path of a field of this object.
  std::string PathOf(std::string_view key) const { return errors_.Join(path_, key); }
  const std::string& path() const { return path_; }
  ParseErrors& errors() { return errors_; }

  // Records "Missing required parameter" when the field is absent or null; returns presence.
  bool Require(std::string_view key);

  std::optional<std::string> String(std::string_view key);
  std::optional<bool> Bool(std::string_view key);
  // A finite number in [min, max].
  std::optional<double> Number(std::string_view key, double min, double max);
  // An integer (or a number with an integral value) in [min, max].
  std::optional<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  // The field when it is an object / array, else nullptr (recording a type error when present).
  const Json* Object(std::string_view key);
  const Json* Array(std::string_view key);

  // Records "Invalid type for '<path>': expected <expected>, but got <type> instead."
  void TypeError(std::string_view key, std::string_view expected, const Json& got);
  void ValueError(std::string_view key, std::string_view message);

 private:
  const Json& object_;
  std::string path_;
  ParseErrors& errors_;
};

// Integer value of `value` in [min, max], or nullopt (wrong type, fractional, out of range).
std::optional<int64_t> IntegerValue(const Json& value, int64_t min, int64_t max);

}  // namespace locai::api
