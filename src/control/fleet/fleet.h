// Fleet: the control plane's side of the node fleet (docs/control-plane.md, "Fleet link" and
// "Placement and rollout"): enrolment with join tokens, the fleet link hub (one WebSocket per
// node), node administration, and deployments (placement, canary rollout, rollback).
//
// The ControlServer constructs one Fleet, calls RegisterRoutes() on its Router before the
// HttpServer starts, Start() once the server runs and Stop() before it stops. Routes registered:
//   POST /v1/fleet/enroll                          join token in the body
//   GET  /v1/fleet/connect                         node signature, WebSocket upgrade
//   GET  /v1/admin/nodes, GET /v1/admin/nodes/{id} admin, deployer
//   POST /v1/admin/nodes/{id}/labels               admin
//   POST /v1/admin/nodes/{id}/revoke               admin
//   POST /v1/admin/deployments                     deployer (create or update by name)
//   GET  /v1/admin/deployments, GET/DELETE /v1/admin/deployments/{id}   deployer
//   POST /v1/admin/deployments/{id}/rollback       deployer
// Whoever changes deployments or model tags outside these routes (the registry moving or deleting
// a tag) calls ModelTagsChanged() / DeploymentsChanged(), and the fleet recomputes the desired
// models of the organisation's nodes and pushes `desired_models` to the connected ones whose set
// changed.
//
// The Store and the Authenticator are borrowed and must outlive the Fleet.
// Thread-safety: every method may be called from any thread; route handlers run on the server's
// io threads. RegisterRoutes() before the server starts; Start()/Stop() from the owner thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "control/fleet/node_jobs.h"
#include "control/server/hooks.h"

namespace locai::store {
class Store;
}  // namespace locai::store
namespace locai::control::auth {
class Authenticator;
}  // namespace locai::control::auth
namespace locai::net {
class Router;
}  // namespace locai::net

namespace locai::control::fleet {

struct FleetOptions {
  // Sent to nodes in `welcome`; a node heartbeats this often.
  int heartbeat_seconds = 5;
  // A connected node whose last message is older than this is `unhealthy` (3 heartbeats) ...
  int unhealthy_after_seconds = 15;
  // ... and older than this `offline` (12 heartbeats); its link is then closed.
  int offline_after_seconds = 60;
  // An unchanged status/capabilities/models report is written to the store at most this often
  // (changes are written at once).
  int persist_interval_seconds = 10;
  // How often the sweeper thread started by Start() runs SweepHealth() (real time).
  int sweep_interval_ms = 1000;
  // Unix time in milliseconds (as every `*_at` of the API); empty: the system clock. Tests inject
  // a fake clock.
  std::function<int64_t()> now_ms;
  // Receives one line per notable event (a failed reconciliation, a bad message). Empty: stderr.
  std::function<void(std::string_view line)> log;
  // The node limit of an organisation's plan, checked atomically at enrolment; empty or nullopt:
  // no limit.
  std::function<std::optional<int64_t>(const std::string& org_id)> max_nodes;
  // The error for the store's refusal at that limit (plan_limit_exceeded, answered 402); empty:
  // the store's error as it is.
  std::function<Status(const std::string& org_id, const Status& refused)> node_limit_error;
  // A node connected (hello) or sent a heartbeat, for metering; must be cheap (called per
  // message). Empty: nothing.
  std::function<void(const std::string& org_id, const std::string& node_id)> node_seen;
  // Admin actions (node.enroll, node.label, node.revoke, deployment.*); empty: not audited.
  std::function<void(const AuditEvent& event)> audit;
  // One generation request a node served on its own HTTP API (its `request_log` frames), with
  // org_id of the node, actor "node:<id>", route "local", target "". Called on the fleet's io
  // threads; must be thread-safe. Empty: dropped.
  std::function<void(const InferenceRecord& record)> inference;
};

class FleetImpl;

class Fleet {
 public:
  Fleet(store::Store& store, auth::Authenticator& authenticator, FleetOptions options);
  // Stops the sweeper and closes every link.
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Adds the routes listed above. InvalidArgument if the router refuses one (a conflicting route).
  Status RegisterRoutes(net::Router& router);

  // Starts the health sweeper thread. FailedPrecondition when already started.
  Status Start();
  // Stops the sweeper, sends nothing more, closes every open link (code 1001). Idempotent.
  void Stop();

  // Runs one health sweep at the injected clock's now: connected nodes silent for
  // unhealthy_after_seconds become `unhealthy`, for offline_after_seconds `offline` (link
  // closed); changes are written to the store. Called by the sweeper; tests call it directly.
  void SweepHealth();

  // The organisation's deployments changed (created, updated, deleted) by someone else: recompute
  // placement/rollout and push `desired_models` where it changed. Errors are logged, not returned.
  void DeploymentsChanged(std::string_view org_id);
  // A model tag of the organisation moved or was deleted: deployments of that tag follow it (a
  // new digest starts a canary rollout), then as DeploymentsChanged().
  void ModelTagsChanged(std::string_view org_id);

  // Nodes with an open fleet link.
  size_t connected_nodes() const;

  // Requests carried to nodes over their fleet links (node_jobs.h), for the gateway. Lives as
  // long as the Fleet; jobs still open when it is destroyed fail (Unavailable).
  NodeJobs& jobs();

 private:
  std::unique_ptr<FleetImpl> impl_;
};

}  // namespace locai::control::fleet
