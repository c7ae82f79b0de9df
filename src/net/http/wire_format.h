// Serialisation of HTTP/1.1 response heads and chunked-encoding frames (RFC 9112). Kept apart from
// the connection so that it needs no Boost and is tested directly.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "net/http/http_message.h"

namespace locai::net {

// How the body of a response is framed.
enum class BodyFraming {
  kContentLength,  // "Content-Length: <content_length>"
  kChunked,        // "Transfer-Encoding: chunked"
  kUntilClose,     // no length; the body ends when the connection closes (HTTP/1.0 streaming)
};

struct ResponseHead {
  int status = 200;
  const HttpHeaders* headers = nullptr;  // may be null
  BodyFraming framing = BodyFraming::kContentLength;
  size_t content_length = 0;
  bool close = false;            // adds "Connection: close"
  bool keep_alive_10 = false;    // adds "Connection: keep-alive" (HTTP/1.0 clients that asked)
  std::string_view server_name;  // "Server" header when non-empty
  std::string_view request_id;   // "X-Request-Id" header when non-empty and not set by the caller
};

// The status line and header block, ending with the blank line. Caller headers that the framing
// owns (Content-Length, Transfer-Encoding, Connection) are replaced, and fields whose name or value
// contain CR, LF or NUL are dropped (no response splitting).
std::string SerializeResponseHead(const ResponseHead& head);

// One chunk: "<hex size>\r\n<data>\r\n". Empty data gives "" (an empty chunk would end the body).
std::string EncodeChunk(std::string_view data);
// The last chunk and the end of the message: "0\r\n\r\n".
std::string_view LastChunk();

}  // namespace locai::net
