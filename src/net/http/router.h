// Router: maps (method, path) to a Handler, with path parameters.
//
// Patterns are literal segments and parameters: "/v1/models/{id}" matches "/v1/models/abc" with
// id = "abc" (one non-empty segment, percent-decoded, so "%2F" in an id stays inside it). A last
// segment "{name...}" matches the rest of the path, slashes included ("/v1/models/{id...}" matches
// "/v1/models/org/model"). Routes are tried in the order they were added; the first whose pattern
// and method match wins, so add specific routes before general ones. A path that matches some
// pattern under other methods gives kMethodNotAllowed with the allowed methods (for 405 + Allow),
// otherwise kNotFound (404). AddWebSocket() adds a GET route whose match carries a
// WebSocketHandler instead of a Handler (see net/websocket/websocket_session.h).
// Thread-safety: Add() before the server starts; Find() is const and safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "net/websocket/websocket_session.h"

namespace locai::net {

// Called on an io thread with the full request. It must not block: either answer at once or hand
// the writer to another thread (see ResponseWriter). An exception escaping it becomes a 500.
using Handler = std::function<void(HttpRequest request, std::shared_ptr<ResponseWriter> writer)>;

class Router {
 public:
  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Handler* handler = nullptr;                // set when kFound for an HTTP route
    const WebSocketHandler* websocket = nullptr;     // set when kFound for a WebSocket route
    std::map<std::string, std::string> path_params;  // set when kFound
    std::vector<std::string> allowed_methods;        // set when kMethodNotAllowed
  };

  // Adds a route. InvalidArgument when the method is empty, the pattern does not start with '/',
  // a parameter is malformed ("{", "{}", "{a}b"), a "{x...}" is not the last segment, or the
  // handler is empty.
  Status Add(std::string method, std::string_view pattern, Handler handler);
  // Adds a WebSocket route for GET `pattern` (same pattern rules and errors as Add()).
  Status AddWebSocket(std::string_view pattern, WebSocketHandler handler);

  // Matches `raw_path` (the target's path, not yet percent-decoded, without the query).
  Match Find(std::string_view method, std::string_view raw_path) const;

  size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    bool is_param = false;
    bool is_rest = false;  // "{name...}"
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
    WebSocketHandler websocket;
  };
  Status AddRoute(std::string method, std::string_view pattern, Handler handler,
                  WebSocketHandler websocket);
  static bool MatchPath(const Route& route, const std::vector<std::string_view>& parts,
                        std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

}  // namespace locai::net
