// OpenAI `POST /v1/embeddings`: request parsing and response serialisation.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/api_error.h"

namespace locai::api::openai {

inline constexpr size_t kMaxEmbeddingInputs = 2048;  // OpenAI's limit per request

struct EmbeddingsRequest {
  std::string model;
  std::vector<std::string> inputs;  // one entry per input string, in order
  bool base64 = false;              // encoding_format "base64" (the SDKs' default) vs "float"
  // `dimensions` when given; the caller rejects it (400, param "dimensions") unless it equals the
  // model's native size, as this server cannot shorten embeddings.
  std::optional<int64_t> dimensions;
  std::string user;

  bool operator==(const EmbeddingsRequest&) const = default;
};

// Errors (400 invalid_request_error, param naming the field): model or input missing; input not a
// string or a non-empty array of at most 2048 strings; token-id inputs (unsupported);
// encoding_format not "float"/"base64"; dimensions not a positive integer; user not a string.
ApiResult<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body);

struct EmbeddingsResult {
  std::vector<std::vector<float>> embeddings;  // one per input, in order
  int64_t prompt_tokens = 0;
};

// {object:"list", data:[{object:"embedding", index, embedding}], model,
//  usage:{prompt_tokens, total_tokens}}; `embedding` is an array of numbers, or with `base64` the
// base64 of its little-endian float32 bytes.
std::string SerializeEmbeddings(std::string_view model, const EmbeddingsResult& result,
                                bool base64);

}  // namespace locai::api::openai
