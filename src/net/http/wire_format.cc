#include "net/http/wire_format.h"

#include <cstdio>

namespace locai::net {
namespace {

bool IsSafeFieldText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsFramingField(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection");
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

}  // namespace

std::string SerializeResponseHead(const ResponseHead& head) {
  std::string out;
  out.reserve(256);
  out.append("HTTP/1.1 ");
  out.append(std::to_string(head.status));
  out.push_back(' ');
  out.append(StatusReason(head.status));
  out.append("\r\n");
  bool has_request_id = false;
  if (!head.server_name.empty()) AppendField(&out, "Server", head.server_name);
  if (head.headers != nullptr) {
    for (const HttpHeaders::Entry& field : head.headers->entries()) {
      if (field.first.empty() || IsFramingField(field.first)) continue;
      if (!IsSafeFieldText(field.first) || !IsSafeFieldText(field.second)) continue;
      if (field.first.find_first_of(" \t:") != std::string::npos) continue;
      if (EqualsIgnoreCase(field.first, "Server") && !head.server_name.empty()) continue;
      if (EqualsIgnoreCase(field.first, "X-Request-Id")) has_request_id = true;
      AppendField(&out, field.first, field.second);
    }
  }
  if (!has_request_id && !head.request_id.empty()) {
    AppendField(&out, "X-Request-Id", head.request_id);
  }
  switch (head.framing) {
    case BodyFraming::kContentLength:
      AppendField(&out, "Content-Length", std::to_string(head.content_length));
      break;
    case BodyFraming::kChunked:
      AppendField(&out, "Transfer-Encoding", "chunked");
      break;
    case BodyFraming::kUntilClose:
      break;
  }
  if (head.close || head.framing == BodyFraming::kUntilClose) {
    AppendField(&out, "Connection", "close");
  } else if (head.keep_alive_10) {
    AppendField(&out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  return out;
}

std::string EncodeChunk(std::string_view data) {
  if (data.empty()) return std::string();
  char size_line[24];
  int n = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<size_t>(n) + data.size() + 2);
  out.append(size_line, static_cast<size_t>(n));
  out.append(data);
  out.append("\r\n");
  return out;
}

std::string_view LastChunk() { return "0\r\n\r\n"; }

}  // namespace locai::net
