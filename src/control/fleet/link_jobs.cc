// NodeJobs over the fleet link (docs/control-plane.md, "Inference over the fleet link"): jobs
// sent as `job` frames and answered by job_head / job_data / job_end / job_error, the routing
// view of connected nodes, and the nodes' `request_log` records handed to options_.inference.

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <utility>

#include "control/fleet/fleet_impl.h"

namespace locai::control::fleet {

std::vector<RoutableNode> FleetImpl::RoutableNodes(const std::string& org_id) {
  std::vector<RoutableNode> nodes;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, session] : sessions_) {
    if (session.org_id != org_id || !session.hello_seen) continue;
    RoutableNode node;
    node.id = session.node_id;
    node.org_id = session.org_id;
    node.group = session.group;
    node.labels = session.labels;
    node.healthy = session.status == "online";
    node.outstanding_tokens = session.queue_depth;
    std::set<std::string> ready;
    for (const auto& [digest, report] : session.models) {
      if (report.state != "ready") continue;
      ready.insert(report.names.begin(), report.names.end());
    }
    node.models_ready.assign(ready.begin(), ready.end());
    for (const std::string& name : node.models_ready) node.slots[name] = 1;
    for (const DesiredModel& desired : session.desired) {
      for (const std::string& name : desired.names) {
        auto it = node.slots.find(name);
        if (it != node.slots.end()) it->second = std::max<int64_t>(1, desired.parallel);
      }
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Result<std::string> FleetImpl::StartJob(const std::string& node_id, NodeJob job,
                                        std::shared_ptr<NodeJobObserver> observer) {
  std::shared_ptr<net::WebSocketSession> socket;
  std::string job_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto current = session_by_node_.find(node_id);
    auto it = current == session_by_node_.end() ? sessions_.end() : sessions_.find(current->second);
    if (it == sessions_.end() || !it->second.hello_seen || !it->second.socket) {
      return Err(Status::Unavailable("node " + node_id + " has no open fleet link"));
    }
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%016" PRIx64, static_cast<uint64_t>(job_random_()));
    job_id = "job-" + std::to_string(next_job_number_++) + "-" + suffix;
    auto entry = std::make_shared<LinkJob>();
    entry->observer = std::move(observer);
    jobs_[job_id] = JobEntry{it->first, std::move(entry)};
    socket = it->second.socket;
  }
  // A socket closing meanwhile fails the job through OnLinkClose.
  socket->Send(JobMessage(job_id, job.method, job.path, job.headers, job.body));
  return job_id;
}

void FleetImpl::CancelJob(const std::string& job_id) {
  std::shared_ptr<LinkJob> job;
  std::shared_ptr<net::WebSocketSession> socket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return;
    job = std::move(it->second.job);
    auto session = sessions_.find(it->second.session_id);
    if (session != sessions_.end()) socket = session->second.socket;
    jobs_.erase(it);
  }
  {
    // Waits for a call in progress on another thread; then nothing more is called.
    std::lock_guard<std::recursive_mutex> lock(job->mu);
    job->done = true;
    job->observer.reset();
  }
  if (socket) socket->Send(JobCancelMessage(job_id));
}

void FleetImpl::HandleJobFrame(uint64_t session_id, const NodeMessage& message) {
  std::shared_ptr<LinkJob> job;
  const bool last =
      message.type == NodeMessageType::kJobEnd || message.type == NodeMessageType::kJobError;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto session = sessions_.find(session_id);
    if (session != sessions_.end()) session->second.last_message_ms = NowMs();
    auto it = jobs_.find(message.job_id);
    // Unknown (finished, cancelled) or another node's job: ignored.
    if (it == jobs_.end() || it->second.session_id != session_id) return;
    job = it->second.job;
    if (last) jobs_.erase(it);
  }
  std::lock_guard<std::recursive_mutex> lock(job->mu);
  if (job->done || !job->observer) return;
  NodeJobObserver& observer = *job->observer;
  switch (message.type) {
    case NodeMessageType::kJobHead:
      observer.OnHead(message.job_status, message.job_headers);
      break;
    case NodeMessageType::kJobData:
      observer.OnData(message.job_data);
      break;
    case NodeMessageType::kJobEnd:
      job->done = true;
      observer.OnEnd(NodeJobUsage{message.prompt_tokens, message.completion_tokens});
      break;
    default:
      job->done = true;
      observer.OnFailed(Status::Unavailable(message.job_message.empty()
                                                ? std::string("the node could not run the job")
                                                : message.job_message));
      break;
  }
  if (job->done) job->observer.reset();
}

void FleetImpl::HandleRequestLog(uint64_t session_id, const NodeMessage& message) {
  std::string org_id;
  std::string node_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !it->second.hello_seen) return;
    it->second.last_message_ms = NowMs();
    org_id = it->second.org_id;
    node_id = it->second.node_id;
  }
  if (!options_.inference) return;
  for (const NodeRequestRecord& entry : message.records) {
    InferenceRecord record;
    record.at_ms = entry.at_ms;
    record.request_id = entry.request_id;
    record.org_id = org_id;
    record.actor = "node:" + node_id;
    record.endpoint = entry.endpoint;
    record.model = entry.model;
    record.route = "local";
    record.prompt_tokens = entry.prompt_tokens;
    record.completion_tokens = entry.completion_tokens;
    record.duration_ms = entry.duration_ms;
    record.status = entry.status;
    record.error = entry.error;
    options_.inference(record);
  }
}

std::vector<std::shared_ptr<LinkJob>> FleetImpl::TakeJobsLocked(uint64_t session_id) {
  std::vector<std::shared_ptr<LinkJob>> taken;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.session_id == session_id) {
      taken.push_back(std::move(it->second.job));
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
  return taken;
}

void FleetImpl::FailJobs(const std::vector<std::shared_ptr<LinkJob>>& jobs,
                         const std::string& node_id, const std::string& why) {
  for (const auto& job : jobs) {
    std::lock_guard<std::recursive_mutex> lock(job->mu);
    if (job->done || !job->observer) continue;
    job->done = true;
    std::shared_ptr<NodeJobObserver> observer = std::move(job->observer);
    observer->OnFailed(Status::Unavailable("node " + node_id + ": link lost (" + why + ")"));
  }
}

void FleetImpl::RefreshRouting(const store::Node& node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto current = session_by_node_.find(node.id);
  if (current == session_by_node_.end()) return;
  auto it = sessions_.find(current->second);
  if (it == sessions_.end()) return;
  it->second.group = node.group;
  it->second.labels = node.labels;
}

}  // namespace locai::control::fleet
