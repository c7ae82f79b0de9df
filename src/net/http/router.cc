#include "net/http/router.h"

#include <algorithm>

namespace locai::net {
namespace {

// "/a/b/c" -> {"a","b","c"}; "/" -> {""}; "/a/" -> {"a",""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path[0] == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

Status Router::Add(std::string method, std::string_view pattern, Handler handler) {
  if (!handler) return Status::InvalidArgument("route handler is empty");
  return AddRoute(std::move(method), pattern, std::move(handler), nullptr);
}

Status Router::AddWebSocket(std::string_view pattern, WebSocketHandler handler) {
  if (!handler) return Status::InvalidArgument("route handler is empty");
  return AddRoute("GET", pattern, nullptr, std::move(handler));
}

Status Router::AddRoute(std::string method, std::string_view pattern, Handler handler,
                        WebSocketHandler websocket) {
  if (method.empty()) return Status::InvalidArgument("route method is empty");
  if (pattern.empty() || pattern[0] != '/') {
    return Status::InvalidArgument("route pattern must start with '/': " + std::string(pattern));
  }
  Route route;
  route.method = std::move(method);
  std::vector<std::string_view> parts = SplitPath(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    Segment segment;
    bool has_brace = part.find_first_of("{}") != std::string_view::npos;
    if (!has_brace) {
      segment.text = std::string(part);
    } else {
      if (part.size() < 3 || part.front() != '{' || part.back() != '}') {
        return Status::InvalidArgument("malformed route parameter in " + std::string(pattern));
      }
      std::string_view name = part.substr(1, part.size() - 2);
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        if (i + 1 != parts.size()) {
          return Status::InvalidArgument("'{name...}' must be the last segment: " +
                                         std::string(pattern));
        }
        segment.is_rest = true;
        name.remove_suffix(3);
      }
      if (name.empty() || name.find_first_of("{}/.") != std::string_view::npos) {
        return Status::InvalidArgument("malformed route parameter in " + std::string(pattern));
      }
      segment.is_param = true;
      segment.text = std::string(name);
    }
    route.segments.push_back(std::move(segment));
  }
  route.handler = std::move(handler);
  route.websocket = std::move(websocket);
  routes_.push_back(std::move(route));
  return Status::Ok();
}

bool Router::MatchPath(const Route& route, const std::vector<std::string_view>& parts,
                       std::map<std::string, std::string>* params) {
  params->clear();
  const std::vector<Segment>& segments = route.segments;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    if (i >= parts.size()) return false;
    if (segment.is_rest) {
      // Re-join the raw remainder, then decode once.
      std::string rest(parts[i]);
      for (size_t j = i + 1; j < parts.size(); ++j) {
        rest.push_back('/');
        rest.append(parts[j]);
      }
      if (rest.empty()) return false;
      std::optional<std::string> decoded = PercentDecode(rest, false);
      if (!decoded) return false;
      (*params)[segment.text] = std::move(*decoded);
      return true;
    }
    if (segment.is_param) {
      if (parts[i].empty()) return false;
      std::optional<std::string> decoded = PercentDecode(parts[i], false);
      if (!decoded) return false;
      (*params)[segment.text] = std::move(*decoded);
    } else {
      std::optional<std::string> decoded = PercentDecode(parts[i], false);
      if (!decoded || *decoded != segment.text) return false;
    }
  }
  return parts.size() == segments.size();
}

Router::Match Router::Find(std::string_view method, std::string_view raw_path) const {
  Match match;
  std::vector<std::string_view> parts = SplitPath(raw_path);
  std::map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (!MatchPath(route, parts, &params)) continue;
    if (route.method == method) {
      match.kind = MatchKind::kFound;
      if (route.websocket) {
        match.websocket = &route.websocket;
      } else {
        match.handler = &route.handler;
      }
      match.path_params = std::move(params);
      match.allowed_methods.clear();
      return match;
    }
    if (std::find(match.allowed_methods.begin(), match.allowed_methods.end(), route.method) ==
        match.allowed_methods.end()) {
      match.allowed_methods.push_back(route.method);
    }
  }
  match.kind = match.allowed_methods.empty() ? MatchKind::kNotFound : MatchKind::kMethodNotAllowed;
  return match;
}

}  // namespace locai::net
