// HttpHeaders, HttpRequest and HttpResponse: the transport-level HTTP/1.1 message types shared by
// the server, the router, the handlers and the client. No Boost here, so that code above net/ (the
// node, the control plane) sees plain C++ types only.
// Thread-safety: values; a single instance must not be mutated from two threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locai::net {

// An ordered list of header fields with case-insensitive name lookup (RFC 9110 section 5.1).
class HttpHeaders {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Replaces every field named `name` with one field.
  void Set(std::string name, std::string value);
  // Appends a field, keeping existing ones with the same name.
  void Add(std::string name, std::string value);
  // Removes every field named `name`.
  void Remove(std::string_view name);
  // The first field named `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The first field named `name`, or `fallback`.
  std::string GetOr(std::string_view name, std::string_view fallback) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A request as a handler receives it: fully read, body included.
struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent (HTTP methods are case-sensitive)
  std::string target;  // the raw request target, e.g. "/v1/models/a%20b?x=1"
  std::string path;    // the percent-decoded path without the query, e.g. "/v1/models/a b"
  std::map<std::string, std::string> query;        // decoded query parameters (last one wins)
  std::map<std::string, std::string> path_params;  // filled by the Router, e.g. {"id": "a b"}
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321"
  std::string request_id;      // unique within the server process, e.g. "req_3f2a9c1b00000007"
  int version = 11;            // 10 for HTTP/1.0, 11 for HTTP/1.1

  // The path parameter `name`, or "" when absent.
  std::string PathParam(std::string_view name) const;
  // The query parameter `name`, or nullopt.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// A complete (non-streamed) response.
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // A response with `Content-Type: application/json`.
  static HttpResponse Json(int status, std::string body);
  // A response with `Content-Type: text/plain; charset=utf-8`.
  static HttpResponse Text(int status, std::string body);
};

// The reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view StatusReason(int status);

// Splits a request target into its percent-decoded path and decoded query parameters. Returns
// false when the target is not in origin form ("/...") or has a malformed percent escape.
bool ParseTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query);

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Returns nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

}  // namespace locai::net
