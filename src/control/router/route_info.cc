#include "control/router/route_info.h"

namespace locai::control::router {

std::string_view RouteKindName(RouteKind kind) {
  switch (kind) {
    case RouteKind::kLocal:
      return "local";
    case RouteKind::kNode:
      return "node";
    case RouteKind::kCloud:
      return "cloud";
  }
  return "local";
}

std::string SessionIdFor(std::optional<std::string_view> session_header, std::string_view user) {
  std::string_view id =
      session_header.has_value() && !session_header->empty() ? *session_header : user;
  // A client could send a huge id to bloat the affinity table; a prefix keeps it distinct enough.
  return std::string(id.substr(0, kMaxSessionIdBytes));
}

}  // namespace locai::control::router
