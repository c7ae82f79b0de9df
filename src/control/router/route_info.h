// Where a response ran, as every inference response reports it, and the session id that pins a
// conversation to one node (issue 5).
//
//   x-locai-route: local | node | cloud
//   x-locai-route-target: <node id> | <provider name>   (absent for local)
//
// Session id: the `x-locai-session` header when present, else the request's `user` field
// (OpenAI `user`, Anthropic `metadata.user_id`); empty means no affinity.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace locai::control::router {

enum class RouteKind { kLocal, kNode, kCloud };

inline constexpr std::string_view kRouteHeader = "x-locai-route";
inline constexpr std::string_view kRouteTargetHeader = "x-locai-route-target";
inline constexpr std::string_view kSessionHeader = "x-locai-session";
// Longer session ids are cut to this many bytes before they key the affinity table.
inline constexpr size_t kMaxSessionIdBytes = 256;

// "local", "node", "cloud".
std::string_view RouteKindName(RouteKind kind);

// The session id for affinity: `session_header` (the x-locai-session value, nullopt when absent)
// if not empty, else `user`; cut to kMaxSessionIdBytes.
std::string SessionIdFor(std::optional<std::string_view> session_header, std::string_view user);

}  // namespace locai::control::router
