// FakeUpstream (tests only): a real HTTP server on 127.0.0.1, port 0, that behaves as an
// OpenAI-compatible provider (POST /v1/chat/completions) and as Anthropic (POST /v1/messages),
// streaming a scripted answer as SSE, one network write per event. It records every request it
// receives, so a test can check what left the process (PII placeholders, not the values).
// Threading: the script is set before requests arrive; Received() is safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/http/http_message.h"
#include "net/http/http_server.h"

namespace locai::control::router::testing {

struct ReceivedRequest {
  std::string path;
  net::HttpHeaders headers;
  std::string body;
};

struct UpstreamScript {
  std::vector<std::string> deltas = {"Hello", ", ", "world"};
  // Answer with the last message's text instead of `deltas`, cut in pieces of this many bytes
  // (0: off). The message text is found in the request body (last "content" string).
  size_t echo_piece_bytes = 0;
  int error_status = 0;  // non-zero: answer this status with `error_body`, no stream
  std::string error_body;
  bool whole_json = false;        // ignore `stream`: answer 200 with one JSON body
  bool cut_before_end = false;    // close after the deltas, without the end events
  std::string stream_error_type;  // non-empty: after the deltas, an error event of this type
  int64_t prompt_tokens = 7;
  int64_t completion_tokens = 3;
  std::string finish = "stop";  // OpenAI finish_reason; Anthropic stop_reason from it
};

class FakeUpstream {
 public:
  explicit FakeUpstream(UpstreamScript script);
  ~FakeUpstream();

  // "http://127.0.0.1:PORT".
  std::string base_url() const;
  uint16_t port() const;
  std::vector<ReceivedRequest> Received() const;

 private:
  void Serve(const net::HttpRequest& request, net::ResponseWriter& writer, bool anthropic);

  UpstreamScript script_;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> received_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace locai::control::router::testing
