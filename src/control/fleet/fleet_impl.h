// FleetImpl: the state behind Fleet (fleet.h). Internal to the library; the parts live in
//   fleet.cc             construction, routes, the sweeper thread
//   link_hub.cc          the fleet link: sessions, messages, health, revocation
//   link_jobs.cc         NodeJobs: jobs over the link, routable nodes, request_log records
//   reconcile.cc         plan an organisation (fleet_plan.h), persist states, push desired_models
//   enroll_routes.cc     POST /v1/fleet/enroll
//   node_routes.cc       /v1/admin/nodes...
//   deployment_routes.cc /v1/admin/deployments...
//
// Locks: reconcile_mu_ serialises reconciliations (one organisation plan at a time) and is taken
// before mu_; mu_ guards the link sessions and jobs and is never held across store calls, calls
// into a WebSocketSession (whose callbacks may take mu_) or calls of a job observer. A job's own
// (recursive) mutex is held while its observer is called, so that one job's calls never overlap
// and nothing is called after CancelJob returns; it is never taken with mu_ held.
// Thread-safety: as Fleet.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "control/auth/authenticator.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_plan.h"
#include "control/fleet/link_messages.h"
#include "control/fleet/node_jobs.h"
#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "net/websocket/websocket_session.h"
#include "store/store.h"

namespace locai::control::fleet {

// What the hub knows about one connected node.
struct LinkSession {
  uint64_t id = 0;
  std::string node_id;
  std::string org_id;
  std::shared_ptr<net::WebSocketSession> socket;
  bool hello_seen = false;
  std::string status = "online";  // online | unhealthy
  int64_t last_message_ms = 0;
  nlohmann::json capabilities;                // last reported (object or null)
  std::map<std::string, ModelReport> models;  // by digest, last reported
  // Persistence throttle: what was last written to the store and when.
  std::string persisted_key;
  int64_t persisted_at_ms = 0;
  // The desired set last sent on this link; a reconcile sends only when it differs.
  bool desired_sent = false;
  std::vector<DesiredModel> desired;
  // Routing (RoutableNodes): cached at hello, refreshed by the labels route, so that routing
  // never reads the store.
  std::string group;
  std::map<std::string, std::string> labels;
  int64_t queue_depth = 0;  // last reported
};

// One job sent to a node and not yet finished.
struct LinkJob {
  std::recursive_mutex mu;
  bool done = false;  // guarded by mu: finished, failed or cancelled; nothing more is called
  std::shared_ptr<NodeJobObserver> observer;  // guarded by mu
};

// A snapshot of a connected node for planning.
struct LiveNode {
  std::string status;
  nlohmann::json capabilities;
  std::map<std::string, ModelReport> models;
};

class FleetImpl : public NodeJobs {
 public:
  FleetImpl(store::Store& store, auth::Authenticator& authenticator, FleetOptions options);
  ~FleetImpl() override;

  // ---- NodeJobs (link_jobs.cc) ----
  std::vector<RoutableNode> RoutableNodes(const std::string& org_id) override;
  Result<std::string> StartJob(const std::string& node_id, NodeJob job,
                               std::shared_ptr<NodeJobObserver> observer) override;
  void CancelJob(const std::string& job_id) override;
  // A job_* frame of the session (unknown ids and other nodes' jobs are ignored).
  void HandleJobFrame(uint64_t session_id, const NodeMessage& message);
  // A request_log frame: one options_.inference call per record.
  void HandleRequestLog(uint64_t session_id, const NodeMessage& message);
  // Removes the jobs of the session (with mu_ held) ...
  std::vector<std::shared_ptr<LinkJob>> TakeJobsLocked(uint64_t session_id);
  // ... and fails them, without mu_: OnFailed(Unavailable("node <id>: link lost (why)")).
  static void FailJobs(const std::vector<std::shared_ptr<LinkJob>>& jobs,
                       const std::string& node_id, const std::string& why);
  // The labels route changed a node's group or labels: refresh the connected session's copy.
  void RefreshRouting(const store::Node& node);

  int64_t NowMs() const;

  // ---- Enrolment (enroll_routes.cc) ----
  // {node_id, org, org_name, group, name} for a valid enrolment request body.
  Result<nlohmann::json> Enroll(const net::HttpRequest& request);

  // ---- Nodes (node_routes.cc) ----
  // The principal of the request's API key when it holds `role`; 401/403 otherwise.
  Result<auth::Principal> Authorize(const net::HttpRequest& request, auth::Role role);
  // The node if it belongs to `org_id`; NotFound otherwise.
  Result<store::Node> GetOrgNode(const std::string& org_id, const std::string& id);
  // The API's node object, with the live status and last_seen_at of a connected node.
  nlohmann::json NodeJson(const store::Node& node) const;
  // Applies a labels request body {set, remove, group} and re-plans the organisation.
  Result<store::Node> UpdateLabels(const std::string& org_id, const std::string& id,
                                   const std::string& body);

  // ---- Deployments (deployment_routes.cc) ----
  // Creates or updates (by name) the deployment a request body describes and re-plans; sets
  // *created. The stored deployment.
  Result<store::Deployment> PutDeployment(const std::string& org_id, const std::string& body,
                                          bool* created);
  // By id, else by name; NotFound otherwise.
  Result<store::Deployment> FindDeployment(const std::string& org_id,
                                           const std::string& id_or_name);
  Result<nlohmann::json> DeploymentJson(const store::Deployment& deployment);
  Result<store::Deployment> Rollback(const std::string& org_id, const std::string& id_or_name);
  Status DeleteDeployment(const std::string& org_id, const std::string& id_or_name);

  // ---- Routes (each file registers its own) ----
  Status RegisterEnrollRoutes(net::Router& router);
  Status RegisterNodeRoutes(net::Router& router);
  Status RegisterDeploymentRoutes(net::Router& router);
  Status RegisterLinkRoute(net::Router& router);

  // ---- Link hub (link_hub.cc) ----
  net::WebSocketUpgrade AcceptLink(const net::HttpRequest& request);
  void OnLinkOpen(uint64_t session_id, const std::string& node_id, const std::string& org_id,
                  std::shared_ptr<net::WebSocketSession> socket);
  void OnLinkMessage(uint64_t session_id, const std::string& text);
  void OnLinkClose(uint64_t session_id);
  // Sends `revoked` to the node's link and closes it; no-op when not connected.
  void DisconnectRevoked(const std::string& node_id, const std::string& reason);
  void SweepHealth();
  // Marks nodes stored as online/unhealthy that have no link offline (after a restart).
  void MarkUnconnectedOffline();
  void CloseAllLinks();
  size_t ConnectedNodes() const;
  // Connected nodes of `org_id` (hello seen), by node id.
  std::map<std::string, LiveNode> LiveNodes(const std::string& org_id) const;
  // The live status of a node ("online"/"unhealthy") and its last message time, if connected.
  bool LiveStatus(const std::string& node_id, std::string* status, int64_t* last_seen_ms) const;

  // ---- Reconciliation (reconcile.cc) ----
  // Plans the organisation, writes rollout states and per-node deployment states, and pushes
  // desired_models to connected nodes whose set changed (to `force_node_id` always).
  Status Reconcile(const std::string& org_id, const std::string& force_node_id = "");
  // The same with deployments_mu() already held by the caller.
  Status ReconcileLocked(const std::string& org_id, const std::string& force_node_id = "");
  // Serialises changes to deployments with reconciliations (a route that reads, changes and
  // re-plans a deployment holds it throughout).
  std::mutex& deployments_mu() { return reconcile_mu_; }
  // Moves deployments of the organisation to their tags' current digests (canary on a change).
  Status FollowModelTags(const std::string& org_id);
  // Logs a failed reconciliation (it is retried by the next event or sweep).
  void ReconcileOrLog(const std::string& org_id, const std::string& force_node_id = "");
  void Log(const std::string& line) const;
  // Reports an admin action to options_.audit (actor "key:<id>" of `who`).
  void Audit(const auth::Principal& who, std::string action, std::string target,
             std::string detail = "");
  void Audit(AuditEvent event);

  // ---- Sweeper (fleet.cc) ----
  Status StartSweeper();
  void StopSweeper();

  store::Store& store() { return store_; }
  auth::Authenticator& authenticator() { return auth_; }
  const FleetOptions& options() const { return options_; }

 private:
  // Writes the session's status/capabilities/models to the store when they changed or
  // persist_interval_seconds passed. Called without mu_ held, with a copy of the session.
  void PersistSession(const LinkSession& session, bool force);
  void HandleHello(uint64_t session_id, const NodeMessage& message);
  // Sends `text` on the session's socket (if it is still the node's current link).
  void SendTo(uint64_t session_id, std::string text);

  store::Store& store_;
  auth::Authenticator& auth_;
  const FleetOptions options_;

  std::mutex reconcile_mu_;  // taken before mu_

  // Link callbacks may outlive the FleetImpl (the server closes sessions after Stop()): they go
  // through this guard, whose pointer is cleared in the destructor.
  struct Guard {
    std::shared_mutex mu;
    FleetImpl* impl = nullptr;  // guarded by mu
  };
  std::shared_ptr<Guard> guard_;

  mutable std::mutex mu_;
  uint64_t next_session_id_ = 1;                     // guarded by mu_
  std::map<uint64_t, LinkSession> sessions_;         // guarded by mu_
  std::map<std::string, uint64_t> session_by_node_;  // guarded by mu_
  struct JobEntry {
    uint64_t session_id = 0;
    std::shared_ptr<LinkJob> job;
  };
  std::map<std::string, JobEntry> jobs_;  // guarded by mu_, by job id
  uint64_t next_job_number_ = 1;          // guarded by mu_
  std::mt19937_64 job_random_;            // guarded by mu_

  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  bool sweeper_stop_ = false;  // guarded by sweeper_mu_
  std::thread sweeper_;
};

// Size, memory and trained context length read from a stored manifest (registry's JSON);
// InvalidArgument when it is not an object. Missing numbers read as 0.
struct ManifestFacts {
  ManifestInfo info;
  int64_t context_length = 0;
};
Result<ManifestFacts> ParseManifestFacts(const std::string& manifest_json);

// Reply helpers shared by the route files.
void ReplyJson(net::ResponseWriter& writer, int status, const nlohmann::json& body);
void ReplyError(net::ResponseWriter& writer, const Status& status);

}  // namespace locai::control::fleet
