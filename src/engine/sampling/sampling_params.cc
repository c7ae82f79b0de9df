#include "engine/sampling/sampling_params.h"

#include <cmath>
#include <string>

namespace locai::engine {
namespace {

// True when lo <= v <= hi; NaN fails every comparison and so is rejected.
bool InRange(float v, float lo, float hi) { return v >= lo && v <= hi; }

Status OutOfRange(const char* field, double value, const char* range) {
  return Status::InvalidArgument(std::string(field) + " must be in " + range + ", got " +
                                 std::to_string(value));
}

}  // namespace

Status Validate(const SamplingParams& params, int32_t n_vocab) {
  if (n_vocab <= 0) return Status::InvalidArgument("vocabulary is empty");
  if (!InRange(params.temperature, 0.0f, 100.0f)) {
    return OutOfRange("temperature", params.temperature, "[0, 100]");
  }
  if (params.top_k < 0) return OutOfRange("top_k", params.top_k, "[0, inf)");
  if (!InRange(params.top_p, 0.0f, 1.0f)) return OutOfRange("top_p", params.top_p, "[0, 1]");
  if (!InRange(params.min_p, 0.0f, 1.0f)) return OutOfRange("min_p", params.min_p, "[0, 1]");
  if (!(params.repeat_penalty > 0.0f && params.repeat_penalty <= 100.0f)) {
    return OutOfRange("repeat_penalty", params.repeat_penalty, "(0, 100]");
  }
  if (params.repeat_last_n < 0 || params.repeat_last_n > kMaxRepeatLastN) {
    return OutOfRange("repeat_last_n", params.repeat_last_n, "[0, 1048576]");
  }
  if (!InRange(params.presence_penalty, -2.0f, 2.0f)) {
    return OutOfRange("presence_penalty", params.presence_penalty, "[-2, 2]");
  }
  if (!InRange(params.frequency_penalty, -2.0f, 2.0f)) {
    return OutOfRange("frequency_penalty", params.frequency_penalty, "[-2, 2]");
  }
  if (params.top_logprobs < 0 || params.top_logprobs > kMaxTopLogprobs) {
    return OutOfRange("top_logprobs", params.top_logprobs, "[0, 20]");
  }
  for (const auto& [token, bias] : params.logit_bias) {
    if (token < 0 || token >= n_vocab) {
      return Status::InvalidArgument("logit_bias token id " + std::to_string(token) +
                                     " is outside the vocabulary [0, " + std::to_string(n_vocab) +
                                     ")");
    }
    const bool banned = std::isinf(bias) && bias < 0;
    if (!std::isfinite(bias) && !banned) {
      return Status::InvalidArgument("logit_bias for token id " + std::to_string(token) +
                                     " must be finite or -infinity");
    }
  }
  return Status::Ok();
}

}  // namespace locai::engine
