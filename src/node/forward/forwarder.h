// Forwarder: the node's local-first fallback (issue 5). A generation request the node cannot serve
// itself (model not on this device, does not fit, queue full) goes to the control plane's gateway,
// which routes it under the organisation's policy; the answer streams back to the client as it
// arrives.
//
// Forward(request, writer), set as NodeOptions::forward:
//  1. Policy: GET /v1/fleet/policy (node-signed) -> {"policy": "local"|"onprem"|"hybrid",
//     "airgapped": bool}, cached for policy_ttl (an answer that failed is retried after
//     policy_retry). `local`, or a policy that is unknown because the control plane could not be
//     reached or answered something else, means: not forwarded, Forward() returns false and the
//     node answers its own error.
//  2. Otherwise Forward() returns true at once and a thread of the forwarder POSTs the same target
//     and body to `server_url + target`, with Content-Type, anthropic-version, anthropic-beta,
//     x-locai-session and x-request-id (the node's request id), signed by `signer`, through the
//     egress Connector (purpose "control-plane", trust from `http`: the pinned CA).
//  3. The answer: the gateway's status with Content-Type, x-locai-route, x-locai-route-target,
//     Retry-After and x-request-id. An SSE answer (text/event-stream) is streamed, each piece
//     written as it arrives; any other answer (a JSON completion or error) is sent whole. A stream
//     the control plane cuts is cut for the client as well (no End(): the client sees a truncated
//     body, never a well-formed short one).
//  4. The client going away aborts the upstream request at once (also while waiting for the head).
//  5. The control plane unreachable (connect, TLS or the request failing before any answer) ->
//     503 in the request's API format: the model is not on this device and the control plane could
//     not be reached, with Retry-After. More than max_in_flight forwarded requests at once -> 503.
// Thread-safety: Forward() and Policy() from any thread (Forward blocks only for a policy fetch,
// at most policy_timeout, once per policy_ttl); the destructor aborts the forwarded requests in
// flight and joins their threads (no Forward() may run concurrently with it).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "net/egress/connector.h"
#include "net/http/http_client.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"

namespace locai::node::forward {

class UpstreamCall;

// Adds the node's signature headers for `method target` (agent::SignRequest).
using RequestSigner =
    std::function<Status(std::string_view method, std::string_view target, net::HttpHeaders*)>;

struct ForwarderOptions {
  std::string server_url;       // "https://control:8443", no trailing slash
  net::HttpClientOptions http;  // agent::ControlPlaneHttpOptions(ca): pinned CA, purpose
  RequestSigner signer;         // empty: unsigned (tests)
  std::chrono::milliseconds policy_ttl{30'000};
  std::chrono::milliseconds policy_retry{5'000};    // after a failed policy fetch
  std::chrono::milliseconds policy_timeout{3'000};  // connect and read, for the policy fetch
  // The longest wait for the gateway's head (it may queue the request) and between body pieces.
  std::chrono::milliseconds response_timeout{600'000};
  size_t max_in_flight = 64;
  int retry_after_seconds = 1;  // Retry-After of the forwarder's own 503s
  std::function<std::chrono::steady_clock::time_point()> now;  // empty: steady_clock::now
  // Receives warnings ("warn") and notes ("info"); empty: nothing.
  std::function<void(std::string_view level, std::string_view message)> log;
};

class Forwarder {
 public:
  Forwarder(ForwarderOptions options, net::egress::Connector& connector);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // See the file comment. True: the forwarder answers `writer`; false: nothing was written.
  bool Forward(const net::HttpRequest& request, std::shared_ptr<net::ResponseWriter> writer);

  // The organisation's policy ("local", "onprem", "hybrid"), fetched when the cached one is older
  // than policy_ttl; "" when unknown (not reachable, not signed in, an unexpected answer).
  std::string Policy();

  // Forwarded requests whose thread has not finished.
  size_t in_flight();

 private:
  struct Job {
    std::thread thread;
    std::shared_ptr<UpstreamCall> call;
    bool done = false;  // guarded by jobs_mu_
  };

  std::chrono::steady_clock::time_point Now() const;
  void Log(std::string_view level, std::string_view message) const;
  Result<std::string> FetchPolicy();
  // The forwarded request, on its own thread.
  void Run(const net::HttpRequest& request, const std::shared_ptr<net::ResponseWriter>& writer,
           UpstreamCall& call);
  // Joins the threads of finished jobs.
  void ReapLocked();

  const ForwarderOptions options_;
  net::egress::Connector& connector_;

  std::mutex policy_mu_;
  bool policy_known_ = false;                         // guarded by policy_mu_
  std::string policy_;                                // guarded by policy_mu_
  std::chrono::steady_clock::time_point policy_until_;  // guarded by policy_mu_

  std::mutex jobs_mu_;
  std::list<Job> jobs_;    // guarded by jobs_mu_
  bool stopping_ = false;  // guarded by jobs_mu_
};

}  // namespace locai::node::forward
