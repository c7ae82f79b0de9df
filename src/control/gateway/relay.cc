// A node job's frames relayed to the client (fleet io threads, under the request's mutex). The
// client's head goes out with the first data of a stream, a non-streamed body whole at the end,
// so a node that fails before that is retried elsewhere without the client seeing it.
#include <algorithm>
#include <optional>

#include "control/gateway/gateway_core.h"
#include "control/router/route_info.h"

namespace locai::control::gateway {
namespace {

constexpr size_t kMaxCapturedBytes = 1 << 20;

// Headers of the node's answer that the client must not get from it: framing (the server sets
// its own), the node's request id (the client sees the gateway's) and route headers (set here).
bool Dropped(std::string_view name) {
  for (std::string_view dropped :
       {"content-length", "transfer-encoding", "connection", "keep-alive", "x-request-id",
        "x-locai-route", "x-locai-route-target", "date", "server"}) {
    if (net::EqualsIgnoreCase(name, dropped)) return true;
  }
  return false;
}

void Capture(InferenceRecord& record, std::string_view data) {
  const size_t room =
      kMaxCapturedBytes - std::min(kMaxCapturedBytes, record.completion_text.size());
  record.completion_text.append(data.substr(0, room));
}

}  // namespace

void GatewayCore::OnHead(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                         int status, std::vector<std::pair<std::string, std::string>> headers) {
  GatewayRequest& r = *request;
  {
    std::lock_guard lock(r.mu);
    if (attempt != r.attempt || r.finished || r.head_seen || r.refused) return;
    r.refused = status == 429 || status == 503;
    if (!r.refused) {
      r.head_seen = true;
      r.head_status = status;
      r.head_headers = net::HttpHeaders();
      for (auto& [name, value] : headers) {
        if (Dropped(name)) continue;
        if (net::EqualsIgnoreCase(name, "content-type")) {
          r.streaming = value.starts_with("text/event-stream");
        }
        r.head_headers.Add(std::move(name), std::move(value));
      }
      SetRoute(r.head_headers, "node", r.attempt_node);
      return;
    }
  }
  // The node is full or unable: busy for this model for a moment, the next node gets the request.
  Post([this, request, attempt, status] {
    RetryElsewhere(request, attempt,
                   Status::Unavailable("the node answered HTTP " + std::to_string(status)), true);
  });
}

void GatewayCore::OnData(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                         std::string data) {
  GatewayRequest& r = *request;
  std::lock_guard lock(r.mu);
  if (attempt != r.attempt || r.finished || !r.head_seen || r.refused) return;
  if (r.capture) Capture(r.record, data);
  if (!r.streaming) {
    r.buffer += data;
    return;
  }
  if (!r.started) {
    r.started = true;
    r.writer->StartStream(r.head_status, r.head_headers);
  }
  r.writer->Write(std::move(data));
}

void GatewayCore::OnEnd(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                        fleet::NodeJobUsage usage) {
  GatewayRequest& r = *request;
  int status = 0;
  bool start_stream = false;
  net::HttpHeaders head_headers;
  std::optional<net::HttpResponse> whole;
  {
    std::lock_guard lock(r.mu);
    if (attempt != r.attempt || r.finished || r.refused) return;
    if (r.head_seen) {
      r.finished = true;  // nobody else writes from here on
      status = r.head_status;
      if (r.streaming) {
        start_stream = !r.started;
        r.started = true;
        if (start_stream) head_headers = r.head_headers;
      } else {
        whole.emplace();
        whole->status = r.head_status;
        whole->headers = r.head_headers;
        whole->body = std::move(r.buffer);
      }
      r.record.route = "node";
      r.record.target = r.attempt_node;
      r.record.prompt_tokens = usage.prompt_tokens;
      r.record.completion_tokens = usage.completion_tokens;
    }
  }
  if (status == 0) {
    // An end without a head is a broken job: a failure before any data.
    Post([this, request, attempt] {
      RetryElsewhere(request, attempt, Status::Internal("the node ended a job without a head"),
                     false);
    });
    return;
  }
  // The record goes first, so that it is there when the client has its answer.
  Record(r, status, status >= 400 ? "the node answered HTTP " + std::to_string(status) : "");
  if (whole) {
    r.writer->Send(std::move(*whole));
  } else {
    if (start_stream) r.writer->StartStream(status, std::move(head_headers));
    r.writer->End();
  }
  Post([this, request, attempt, status] { JobFinished(request, attempt, status < 500); });
}

void GatewayCore::OnFailed(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                           Status status) {
  GatewayRequest& r = *request;
  int http_status = 0;
  {
    std::lock_guard lock(r.mu);
    if (attempt != r.attempt || r.finished || r.refused) return;
    if (r.started) {
      r.finished = true;  // nobody else writes from here on
      r.record.route = "node";
      r.record.target = r.attempt_node;
      http_status = r.head_status;
    }
  }
  if (http_status == 0) {
    Post([this, request, attempt, status] { RetryElsewhere(request, attempt, status, false); });
    return;
  }
  Record(r, http_status, "the node failed mid-stream: " + status.message());
  // Tokens were sent: end the stream with the API's error event, never a fake stop.
  r.writer->Write(StreamErrorEvent(
      r.format, "the device serving this request failed mid-stream: " + status.message()));
  r.writer->End();
  Post([this, request, attempt] { JobFinished(request, attempt, false); });
}

}  // namespace locai::control::gateway
