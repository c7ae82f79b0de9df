#include "api/openai/embeddings.h"

#include <limits>
#include <utility>

#include "api/common/base64.h"
#include "api/common/json_input.h"
#include "api/common/json_output.h"

namespace locai::api::openai {
namespace {

void ParseInput(ObjectReader& reader, EmbeddingsRequest& request) {
  if (!reader.Require("input")) return;
  const Json& input = *reader.Find("input");
  if (input.is_string()) {
    request.inputs.push_back(input.get<std::string>());
    return;
  }
  if (!input.is_array()) {
    reader.TypeError("input", "a string or an array of strings", input);
    return;
  }
  if (input.empty()) {
    reader.ValueError("input", "expected an array with minimum length 1.");
    return;
  }
  if (input.size() > kMaxEmbeddingInputs) {
    reader.ValueError("input", "at most 2048 inputs are allowed per request.");
    return;
  }
  ParseErrors& errors = reader.errors();
  for (size_t i = 0; i < input.size(); ++i) {
    const Json& item = input[i];
    if (item.is_number() || item.is_array()) {
      reader.ValueError("input", "inputs given as token ids are not supported by this server.");
      return;
    }
    if (!item.is_string()) {
      std::string param = errors.Index("input", i);
      errors.Fail(param, "Invalid type for '" + param + "': expected a string, but got " +
                             DescribeJsonType(item) + " instead.");
      return;
    }
    request.inputs.push_back(item.get<std::string>());
  }
}

}  // namespace

ApiResult<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body) {
  ApiResult<Json> parsed = ParseJsonObject(body);
  if (!parsed) return ApiErr(std::move(parsed).error());
  ParseErrors errors(PathStyle::kOpenAi);
  ObjectReader reader(*parsed, "", errors);
  EmbeddingsRequest request;
  if (reader.Require("model")) {
    if (auto model = reader.String("model")) request.model = std::move(*model);
  }
  ParseInput(reader, request);
  if (std::optional<std::string> format = reader.String("encoding_format")) {
    if (*format == "base64") {
      request.base64 = true;
    } else if (*format != "float") {
      reader.ValueError("encoding_format", "'" + *format + "' is not one of 'float', 'base64'.");
    }
  }
  request.dimensions = reader.Integer("dimensions", 1, std::numeric_limits<int32_t>::max());
  if (auto user = reader.String("user")) request.user = std::move(*user);
  if (!errors.ok()) return ApiErr(errors.TakeError());
  return request;
}

std::string SerializeEmbeddings(std::string_view model, const EmbeddingsResult& result,
                                bool base64) {
  OrderedJson body;
  body["object"] = "list";
  OrderedJson data = OrderedJson::array();
  for (size_t i = 0; i < result.embeddings.size(); ++i) {
    OrderedJson item;
    item["object"] = "embedding";
    item["index"] = i;
    if (base64) {
      item["embedding"] = EncodeFloat32Base64(result.embeddings[i]);
    } else {
      item["embedding"] = result.embeddings[i];
    }
    data.push_back(std::move(item));
  }
  body["data"] = std::move(data);
  body["model"] = model;
  body["usage"]["prompt_tokens"] = result.prompt_tokens;
  body["usage"]["total_tokens"] = result.prompt_tokens;
  return DumpJson(body);
}

}  // namespace locai::api::openai
