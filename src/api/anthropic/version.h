// The `anthropic-version` request header: which versions this server speaks.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "api/common/api_error.h"
#include "api/common/headers.h"

namespace locai::api::anthropic {

enum class AnthropicVersion {
  k20230601,  // "2023-06-01": sampling fields accepted
  k20261021,  // "2026-10-21": temperature/top_p/top_k and citations on user text blocks rejected
};

std::string_view AnthropicVersionName(AnthropicVersion version);

// Reads `anthropic-version`. Errors (400 invalid_request_error): header missing (Anthropic
// requires it) or not one of the supported versions.
ApiResult<AnthropicVersion> ParseAnthropicVersion(const HeaderList& headers);

}  // namespace locai::api::anthropic
