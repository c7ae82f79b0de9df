// Gateway: the control plane's inference API (issue 5, docs/control-plane.md "Gateway").
//
// Routes (RegisterRoutes):
//   POST /v1/chat/completions, /v1/completions, /v1/messages
//   GET  /v1/models, /v1/models/{id...}
// One request through it:
//   1. io thread: the caller is authenticated (an API key of any role, or a node's signature for a
//      request the node forwards), the body parsed and validated with src/api (a bad request is a
//      400 that never reaches a node), the policy resolved (PolicyStore::ResolveForKey; `local` is
//      a 403: such a key may only run on its own device). Then the request is posted to the
//      dispatcher and the io thread returns.
//   2. dispatcher thread (one, owns every routing decision): the organisation's routable nodes
//      (NodeJobs::RoutableNodes, minus a forwarding node) ordered by router::NodeSelector
//      (session, group preference, load); the first that is not busy (the gateway's jobs on it for
//      that model reached its slots, or it answered 429/503 lately) gets the job. When all are
//      busy the request waits in a bounded FIFO (no thread blocks on it), woken when a job ends or
//      by a timer; after max_queue_wait, or at once when the queue is full, a hybrid request whose
//      model is mapped goes to the cloud, any other gets 429 rate_limit_error (OpenAI) / 529
//      overloaded_error (Anthropic) with Retry-After.
//   3. a node that fails before its first data frame is recorded (cool-down) and the request goes
//      to the next node, invisibly: the client's head is sent with the first data (a non-streamed
//      body is sent whole at the end). After data was sent the stream ends with the API's error
//      event, never a fake stop. A client that goes away cancels the job.
//   4. cloud (hybrid, mapped, not air-gapped): on a small worker pool, CloudClient behind the PII
//      guard (block: 403; redact: restored before the client sees it), the deltas re-emitted with
//      the client's own API stream writer.
// Every response carries x-request-id, x-locai-route (node | cloud) and x-locai-route-target once
// routed; errors are in the API's own format (Anthropic for /v1/messages or any request carrying
// anthropic-version, OpenAI otherwise), 401 included. Each request, refused ones too, is reported
// once to hooks.inference (InferenceRecord).
// Threading: Create/RegisterRoutes/Stop from the owner; handlers run on the server's io threads and
// never block. Stop() (or the destructor) must run before the NodeJobs, PolicyStore and Connector
// go away; requests still open then get an error.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "control/fleet/node_jobs.h"
#include "control/router/cloud_client.h"
#include "control/router/node_selector.h"
#include "control/router/policy_store.h"
#include "control/server/hooks.h"
#include "net/egress/connector.h"
#include "net/http/http_message.h"
#include "net/http/router.h"

namespace locai::control::auth {
class Authenticator;
}  // namespace locai::control::auth

namespace locai::control::gateway {

// Who sent a request.
struct Caller {
  std::string org_id;
  std::string key_id;   // the API key's id; empty for a node
  std::string node_id;  // a node forwarding a request it cannot serve; empty for a key
  std::string actor;    // "key:<id>" or "node:<id>"
};

// Authenticates a request: the Caller, or Unauthenticated (answered 401 in the API's format).
using Authenticate = std::function<Result<Caller>(const net::HttpRequest& request)>;

// API keys (Authorization: Bearer or x-api-key, any role) and node signatures (X-Locai-Node-Id,
// -Timestamp, -Signature, checked when X-Locai-Node-Id is present) through `authenticator`, which
// must outlive the callback. `now_ms` empty: the system clock.
Authenticate AuthenticatorCallback(auth::Authenticator& authenticator,
                                   std::function<int64_t()> now_ms);

struct GatewayOptions {
  bool airgapped = false;     // never a cloud provider, whatever a policy says
  size_t max_waiting = 1024;  // requests waiting for a node at once; one more is refused at once
  int cloud_workers = 4;      // threads for cloud calls (CloudClient blocks)
  // A node that answered 429/503 is not offered that model again for this long.
  std::chrono::milliseconds refused_backoff{500};
  // How often waiting requests look again for a node (besides a job ending).
  std::chrono::milliseconds poll_interval{100};
  router::NodeSelectorOptions selector;
  router::CloudClientOptions cloud;
  std::function<int64_t()> now_ms;                 // unix ms for records; empty: system clock
  std::function<void(std::string_view line)> log;  // empty: stderr
};

struct GatewayDeps {
  fleet::NodeJobs* jobs = nullptr;              // required
  router::PolicyStore* policies = nullptr;      // required
  Authenticate authenticate;                    // required
  net::egress::Connector* connector = nullptr;  // cloud calls go through it; null: no cloud
  ControlHooks hooks;                           // inference, capture_prompts
};

class GatewayCore;

class Gateway {
 public:
  // Starts the dispatcher and the cloud workers. InvalidArgument when a required dependency is
  // missing; Internal when the PII detector cannot be built.
  static Result<std::unique_ptr<Gateway>> Create(GatewayDeps deps, GatewayOptions options);
  ~Gateway();  // Stop()s
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Adds the routes listed above.
  Status RegisterRoutes(net::Router& router);

  // Stops routing: waiting and running requests get a 503 (or an error event), node jobs are
  // cancelled, the threads joined. Idempotent.
  void Stop();

  // Requests waiting for a node now.
  size_t waiting() const;
  // Jobs the gateway is running on nodes now.
  size_t running() const;

 private:
  explicit Gateway(std::shared_ptr<GatewayCore> core);
  std::shared_ptr<GatewayCore> core_;
};

}  // namespace locai::control::gateway
