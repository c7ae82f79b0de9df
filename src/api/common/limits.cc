#include "api/common/limits.h"

#include <algorithm>
#include <string>

namespace locai::api {

ApiResult<int64_t> ClampMaxTokens(std::optional<int64_t> requested, int64_t prompt_tokens,
                                  int64_t context_length, std::string_view prompt_param) {
  if (context_length <= 0 || prompt_tokens < 0 || prompt_tokens >= context_length) {
    return ApiErr(InvalidRequest(
        "This model's maximum context length is " + std::to_string(context_length) +
            " tokens. However, your " + std::string(prompt_param) + " resulted in " +
            std::to_string(prompt_tokens) + " tokens, which leaves no room for a completion. " +
            "Please reduce the length of the " + std::string(prompt_param) + ".",
        std::string(prompt_param), "context_length_exceeded"));
  }
  int64_t room = context_length - prompt_tokens;
  if (!requested) return room;
  return std::clamp<int64_t>(*requested, 0, room);
}

}  // namespace locai::api
