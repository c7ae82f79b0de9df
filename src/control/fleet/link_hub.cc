// The fleet link hub (docs/control-plane.md, "Fleet link"): one session per node, replaced when
// the node connects again; hello -> welcome + desired_models; heartbeats and model_status update
// the live view, the store (throttled) and, when models change, the deployment states; the sweep
// turns silence into unhealthy, then offline.

#include <cmath>
#include <utility>

#include "control/auth/http_reply.h"
#include "control/fleet/fleet_impl.h"
#include "net/http/router.h"

namespace locai::control::fleet {
namespace {

constexpr uint16_t kCloseGoingAway = 1001;
constexpr uint16_t kClosePolicy = 1008;

// What must reach the store at once when it changes: the models' digests, states and reasons
// (not the progress, nor capabilities such as ram_free that move on every heartbeat).
std::string ModelStateKey(const std::map<std::string, ModelReport>& models) {
  std::string key;
  for (const auto& [digest, report] : models) {
    key += digest + '\x1f' + report.state + '\x1f' + report.reason + '\x1e';
  }
  return key;
}

// The models' states with progress in whole percent: a change re-plans the organisation so that
// the deployments show "downloading 43%".
std::string ModelProgressKey(const std::map<std::string, ModelReport>& models) {
  std::string key = ModelStateKey(models);
  for (const auto& [digest, report] : models) {
    key += std::to_string(static_cast<int>(std::floor(report.progress * 100))) + ',';
  }
  return key;
}

std::string ModelsJson(const std::map<std::string, ModelReport>& models) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [digest, report] : models) list.push_back(ModelReportToJson(report));
  return list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Status FleetImpl::RegisterLinkRoute(net::Router& router) {
  return router.AddWebSocket(
      "/v1/fleet/connect", [this](const net::HttpRequest& request) { return AcceptLink(request); });
}

net::WebSocketUpgrade FleetImpl::AcceptLink(const net::HttpRequest& request) {
  auto node = auth_.AuthenticateNode(request, NowMs() / 1000);
  if (!node) return net::WebSocketUpgrade::Refuse(ErrorResponse(node.error()));
  uint64_t session_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    session_id = next_session_id_++;
  }
  std::shared_ptr<Guard> guard = guard_;
  net::WebSocketCallbacks callbacks;
  callbacks.on_open = [guard, session_id, node_id = node->node_id,
                       org_id = node->org_id](std::shared_ptr<net::WebSocketSession> socket) {
    std::shared_lock<std::shared_mutex> lock(guard->mu);
    if (guard->impl != nullptr) {
      guard->impl->OnLinkOpen(session_id, node_id, org_id, std::move(socket));
    } else {
      socket->Close(kCloseGoingAway, "server stopping");
    }
  };
  callbacks.on_message = [guard, session_id](net::WebSocketSession&, std::string message) {
    std::shared_lock<std::shared_mutex> lock(guard->mu);
    if (guard->impl != nullptr) guard->impl->OnLinkMessage(session_id, message);
  };
  callbacks.on_close = [guard, session_id](net::WebSocketSession&, const Status&) {
    std::shared_lock<std::shared_mutex> lock(guard->mu);
    if (guard->impl != nullptr) guard->impl->OnLinkClose(session_id);
  };
  return net::WebSocketUpgrade::Accept(std::move(callbacks));
}

void FleetImpl::OnLinkOpen(uint64_t session_id, const std::string& node_id,
                           const std::string& org_id,
                           std::shared_ptr<net::WebSocketSession> socket) {
  std::shared_ptr<net::WebSocketSession> replaced;
  std::vector<std::shared_ptr<LinkJob>> lost_jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto previous = session_by_node_.find(node_id);
    if (previous != session_by_node_.end()) {
      auto it = sessions_.find(previous->second);
      if (it != sessions_.end()) {
        replaced = std::move(it->second.socket);
        lost_jobs = TakeJobsLocked(it->first);
        sessions_.erase(it);
      }
    }
    LinkSession& session = sessions_[session_id];
    session.id = session_id;
    session.node_id = node_id;
    session.org_id = org_id;
    session.socket = std::move(socket);
    session.last_message_ms = NowMs();
    session_by_node_[node_id] = session_id;
  }
  if (replaced) replaced->Close(kClosePolicy, "replaced by a newer connection of the node");
  FailJobs(lost_jobs, node_id, "replaced by a newer connection");
}

void FleetImpl::SendTo(uint64_t session_id, std::string text) {
  std::shared_ptr<net::WebSocketSession> socket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    socket = it->second.socket;
  }
  socket->Send(std::move(text));
}

void FleetImpl::OnLinkMessage(uint64_t session_id, const std::string& text) {
  auto message = ParseNodeMessage(text);
  if (!message) {
    Log("ignored a fleet message: " + message.error().message());
    return;
  }
  switch (message->type) {
    case NodeMessageType::kHello:
      HandleHello(session_id, *message);
      return;
    case NodeMessageType::kJobHead:
    case NodeMessageType::kJobData:
    case NodeMessageType::kJobEnd:
    case NodeMessageType::kJobError:
      HandleJobFrame(session_id, *message);
      return;
    case NodeMessageType::kRequestLog:
      HandleRequestLog(session_id, *message);
      return;
    default:
      break;
  }
  LinkSession copy;
  bool models_changed = false;
  bool states_changed = false;
  bool status_changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    LinkSession& session = it->second;
    session.last_message_ms = NowMs();
    if (session.status != "online") {
      session.status = "online";
      status_changed = true;
    }
    const std::string before_states = ModelStateKey(session.models);
    const std::string before_progress = ModelProgressKey(session.models);
    if (message->type == NodeMessageType::kHeartbeat) {
      session.queue_depth = message->queue_depth;
      if (!message->capabilities.is_null()) session.capabilities = message->capabilities;
      if (message->has_models) {
        session.models.clear();
        for (auto& report : message->models) {
          if (report.state == "removed") continue;
          std::string digest = report.digest;
          session.models[digest] = std::move(report);
        }
      }
    } else if (message->model_status.state == "removed") {
      // Unloaded and deleted: no longer held.
      session.models.erase(message->model_status.digest);
    } else {
      ModelReport& report = session.models[message->model_status.digest];
      // A model_status may leave out the names the node reported before.
      std::vector<std::string> names = std::move(report.names);
      report = message->model_status;
      if (report.names.empty()) report.names = std::move(names);
    }
    states_changed = ModelStateKey(session.models) != before_states;
    models_changed = ModelProgressKey(session.models) != before_progress;
    if (!session.hello_seen) return;  // kept for after hello; nothing to publish yet
    copy = session;
  }
  PersistSession(copy, status_changed || states_changed);
  if (options_.node_seen) options_.node_seen(copy.org_id, copy.node_id);
  if (models_changed) ReconcileOrLog(copy.org_id);
}

void FleetImpl::HandleHello(uint64_t session_id, const NodeMessage& message) {
  LinkSession copy;
  std::shared_ptr<net::WebSocketSession> refused;
  // Group and labels for routing, read once here (outside mu_) and kept with the session.
  std::string node_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    node_id = it->second.node_id;
  }
  auto stored = store_.GetNode(node_id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    LinkSession& session = it->second;
    if (!message.node_id.empty() && message.node_id != session.node_id) {
      refused = session.socket;
    } else {
      if (stored) {
        session.group = stored->group;
        session.labels = stored->labels;
      }
      session.hello_seen = true;
      session.queue_depth = message.queue_depth;
      session.status = "online";
      session.last_message_ms = NowMs();
      if (!message.capabilities.is_null()) session.capabilities = message.capabilities;
      if (message.has_models) {
        session.models.clear();
        for (const auto& report : message.models) {
          if (report.state != "removed") session.models[report.digest] = report;
        }
      }
      session.desired_sent = false;
      copy = session;
    }
  }
  if (refused) {
    refused->Close(kClosePolicy, "hello names another node than the signature");
    return;
  }
  SendTo(session_id, WelcomeMessage(options_.heartbeat_seconds));
  PersistSession(copy, /*force=*/true);
  if (options_.node_seen) options_.node_seen(copy.org_id, copy.node_id);
  ReconcileOrLog(copy.org_id, copy.node_id);
}

void FleetImpl::PersistSession(const LinkSession& session, bool force) {
  const int64_t now = NowMs();
  if (!force && now - session.persisted_at_ms < options_.persist_interval_seconds * 1000LL) {
    return;
  }
  const std::string capabilities =
      session.capabilities.is_object()
          ? session.capabilities.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          : "";
  Status status = store_.UpdateNodeStatus(session.node_id, session.status, session.last_message_ms,
                                          capabilities, ModelsJson(session.models));
  if (!status.ok()) {
    Log("storing the status of node " + session.node_id + " failed: " + status.ToString());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(session.id);
  if (it != sessions_.end()) it->second.persisted_at_ms = now;
}

void FleetImpl::OnLinkClose(uint64_t session_id) {
  LinkSession closed;
  std::vector<std::shared_ptr<LinkJob>> lost_jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;  // replaced, revoked or swept: already handled
    closed = std::move(it->second);
    lost_jobs = TakeJobsLocked(session_id);
    sessions_.erase(it);
    auto current = session_by_node_.find(closed.node_id);
    if (current != session_by_node_.end() && current->second == session_id) {
      session_by_node_.erase(current);
    }
  }
  FailJobs(lost_jobs, closed.node_id, "connection closed");
  Status status =
      store_.UpdateNodeStatus(closed.node_id, "offline", closed.last_message_ms, "", "");
  if (!status.ok() && status.code() != StatusCode::kFailedPrecondition) {
    Log("marking node " + closed.node_id + " offline failed: " + status.ToString());
  }
  if (closed.hello_seen) ReconcileOrLog(closed.org_id);
}

void FleetImpl::DisconnectRevoked(const std::string& node_id, const std::string& reason) {
  std::shared_ptr<net::WebSocketSession> socket;
  std::vector<std::shared_ptr<LinkJob>> lost_jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto current = session_by_node_.find(node_id);
    if (current == session_by_node_.end()) return;
    auto it = sessions_.find(current->second);
    if (it != sessions_.end()) {
      socket = std::move(it->second.socket);
      lost_jobs = TakeJobsLocked(it->first);
      sessions_.erase(it);
    }
    session_by_node_.erase(current);
  }
  FailJobs(lost_jobs, node_id, "revoked");
  if (!socket) return;
  socket->Send(RevokedMessage(reason));
  socket->Close(kClosePolicy, "revoked");
}

void FleetImpl::SweepHealth() {
  const int64_t now = NowMs();
  std::vector<LinkSession> gone;
  std::vector<std::vector<std::shared_ptr<LinkJob>>> gone_jobs;  // parallel to `gone`
  std::vector<LinkSession> unhealthy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      LinkSession& session = it->second;
      const int64_t silent_ms = now - session.last_message_ms;
      if (silent_ms >= options_.offline_after_seconds * 1000LL) {
        auto current = session_by_node_.find(session.node_id);
        if (current != session_by_node_.end() && current->second == session.id) {
          session_by_node_.erase(current);
        }
        gone_jobs.push_back(TakeJobsLocked(session.id));
        gone.push_back(std::move(session));
        it = sessions_.erase(it);
        continue;
      }
      if (silent_ms >= options_.unhealthy_after_seconds * 1000LL && session.status == "online") {
        session.status = "unhealthy";
        if (session.hello_seen) unhealthy.push_back(session);
      }
      ++it;
    }
  }
  for (const LinkSession& session : unhealthy) PersistSession(session, /*force=*/true);
  for (size_t i = 0; i < gone.size(); ++i) {
    LinkSession& session = gone[i];
    FailJobs(gone_jobs[i], session.node_id, "offline: missed heartbeats");
    if (session.socket) session.socket->Close(kCloseGoingAway, "missed heartbeats");
    Status status =
        store_.UpdateNodeStatus(session.node_id, "offline", session.last_message_ms, "", "");
    if (!status.ok() && status.code() != StatusCode::kFailedPrecondition) {
      Log("marking node " + session.node_id + " offline failed: " + status.ToString());
    }
    if (session.hello_seen) ReconcileOrLog(session.org_id);
  }
}

void FleetImpl::MarkUnconnectedOffline() {
  auto orgs = store_.ListOrgs();
  if (!orgs) {
    Log("listing organisations failed: " + orgs.error().ToString());
    return;
  }
  for (const auto& org : *orgs) {
    auto nodes = store_.ListNodes(org.id);
    if (!nodes) continue;
    for (const auto& node : *nodes) {
      if (node.status != "online" && node.status != "unhealthy") continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (session_by_node_.count(node.id)) continue;
      }
      Status status = store_.UpdateNodeStatus(node.id, "offline", node.last_seen_at, "", "");
      if (!status.ok()) Log("marking node " + node.id + " offline failed: " + status.ToString());
    }
  }
}

void FleetImpl::CloseAllLinks() {
  std::vector<std::shared_ptr<net::WebSocketSession>> sockets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, session] : sessions_) {
      if (session.socket) sockets.push_back(session.socket);
    }
  }
  // The sessions stay until their on_close, which marks the nodes offline.
  for (auto& socket : sockets) socket->Close(kCloseGoingAway, "server stopping");
}

size_t FleetImpl::ConnectedNodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_by_node_.size();
}

std::map<std::string, LiveNode> FleetImpl::LiveNodes(const std::string& org_id) const {
  std::map<std::string, LiveNode> live;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, session] : sessions_) {
    if (session.org_id != org_id || !session.hello_seen) continue;
    live[session.node_id] = LiveNode{session.status, session.capabilities, session.models};
  }
  return live;
}

bool FleetImpl::LiveStatus(const std::string& node_id, std::string* status,
                           int64_t* last_seen_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto current = session_by_node_.find(node_id);
  if (current == session_by_node_.end()) return false;
  auto it = sessions_.find(current->second);
  if (it == sessions_.end() || !it->second.hello_seen) return false;
  *status = it->second.status;
  *last_seen_ms = it->second.last_message_ms;
  return true;
}

}  // namespace locai::control::fleet
