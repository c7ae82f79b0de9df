#include "api/anthropic/version.h"

#include <string>

namespace locai::api::anthropic {

std::string_view AnthropicVersionName(AnthropicVersion version) {
  return version == AnthropicVersion::k20261021 ? "2026-10-21" : "2023-06-01";
}

ApiResult<AnthropicVersion> ParseAnthropicVersion(const HeaderList& headers) {
  std::optional<std::string_view> value = FindHeader(headers, "anthropic-version");
  if (!value) {
    return ApiErr(InvalidRequest("anthropic-version: header is required"));
  }
  if (*value == "2023-06-01") return AnthropicVersion::k20230601;
  if (*value == "2026-10-21") return AnthropicVersion::k20261021;
  return ApiErr(InvalidRequest("anthropic-version: unsupported version '" + std::string(*value) +
                               "'; supported versions are 2023-06-01 and 2026-10-21"));
}

}  // namespace locai::api::anthropic
