// Url: the parts of an absolute http:// or https:// URL that an HTTP client needs.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace locai::net {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // name or IP literal, without IPv6 brackets
  uint16_t port = 0;   // explicit, or 80 / 443 by scheme
  std::string target;  // path and query, at least "/"

  // "host:port" with IPv6 in brackets, as in a Host header.
  std::string Authority() const;
};

// Parses "http://host[:port][/path][?query]". InvalidArgument for other schemes, user-info, an
// empty host, a bad port or a fragment-only oddity.
Result<Url> ParseUrl(std::string_view text);

}  // namespace locai::net
