// The dispatcher thread: node choice, the waiting queue, retries and the threads' lifecycle.
// Everything here but Post/Start/Stop runs on the dispatcher thread (gateway_core.h).
#include <algorithm>

#include "control/gateway/gateway_core.h"

namespace locai::control::gateway {
namespace {

// The node's parallel slots for `model`: RoutableNode::slots when the fleet reports it (one
// number, or a map by model), else 1. Written against both shapes so the gateway builds before
// and after the field lands.
template <typename Node>
int SlotsFor(const Node& node, const std::string& model) {
  if constexpr (requires { static_cast<int64_t>(node.slots); }) {
    return static_cast<int>(std::max<int64_t>(1, static_cast<int64_t>(node.slots)));
  } else if constexpr (requires { node.slots.find(model) != node.slots.end(); }) {
    auto it = node.slots.find(model);
    if (it == node.slots.end()) return 1;
    return static_cast<int>(std::max<int64_t>(1, static_cast<int64_t>(it->second)));
  } else {
    (void)node;
    (void)model;
    return 1;
  }
}

// The Retry-After a refused request gets: the policy's queue wait, at least a second.
int64_t RetryAfterFor(const router::OrgPolicy& policy) {
  return std::max<int64_t>(1, (policy.max_queue_wait.count() + 999) / 1000);
}

class RequestObserver : public fleet::NodeJobObserver {
 public:
  RequestObserver(std::weak_ptr<GatewayCore> core, std::shared_ptr<GatewayRequest> request,
                  uint64_t attempt)
      : core_(std::move(core)), request_(std::move(request)), attempt_(attempt) {}

  void OnHead(int status, std::vector<std::pair<std::string, std::string>> headers) override {
    if (auto core = core_.lock()) core->OnHead(request_, attempt_, status, std::move(headers));
  }
  void OnData(std::string data) override {
    if (auto core = core_.lock()) core->OnData(request_, attempt_, std::move(data));
  }
  void OnEnd(fleet::NodeJobUsage usage) override {
    if (auto core = core_.lock()) core->OnEnd(request_, attempt_, usage);
  }
  void OnFailed(Status status) override {
    if (auto core = core_.lock()) core->OnFailed(request_, attempt_, std::move(status));
  }

 private:
  std::weak_ptr<GatewayCore> core_;
  std::shared_ptr<GatewayRequest> request_;
  uint64_t attempt_;
};

}  // namespace

void GatewayCore::Start() {
  dispatcher_ = std::thread([this] { DispatcherLoop(); });
  if (deps_.connector != nullptr) {
    for (int i = 0; i < std::max(1, options_.cloud_workers); ++i) {
      cloud_workers_.emplace_back([this] { CloudLoop(); });
    }
  }
}

void GatewayCore::Stop() {
  if (stopped_.exchange(true)) return;
  {
    std::lock_guard lock(tasks_mu_);
    stopping_ = true;
  }
  tasks_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
  // Tasks posted before the stop still run (on this thread now): requests they route are failed
  // by Dispatch, which sees stopped_.
  std::deque<std::function<void()>> left;
  {
    std::lock_guard lock(tasks_mu_);
    left.swap(tasks_);
  }
  for (auto& task : left) task();
  std::deque<std::shared_ptr<GatewayRequest>> cloud_left;
  {
    std::lock_guard lock(cloud_mu_);
    cloud_stopping_ = true;
    cloud_left.swap(cloud_tasks_);
  }
  cloud_cv_.notify_all();
  for (auto& worker : cloud_workers_) worker.join();
  cloud_workers_.clear();
  // The dispatcher is gone: its state is ours now.
  const Status stopping = Status::Unavailable("the server is shutting down");
  for (auto& request : waiters_) {
    Fail(*request, ErrorFor(request->format, stopping), 1, "", "");
  }
  waiters_.clear();
  waiting_count_ = 0;
  for (auto& request : cloud_left) {
    Fail(*request, ErrorFor(request->format, stopping), 1, "", "");
  }
  auto active = std::move(active_);
  for (auto& [_, request] : active) {
    deps_.jobs->CancelJob(request->job_id);
    {
      std::lock_guard lock(request->mu);
      ++request->attempt;  // later frames of the job are ignored
    }
    Fail(*request, ErrorFor(request->format, stopping), 1, "node", request->node_id);
    ReleaseNode(*request);
  }
}

bool GatewayCore::Post(std::function<void()> task) {
  {
    std::lock_guard lock(tasks_mu_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
  }
  tasks_cv_.notify_one();
  return true;
}

void GatewayCore::DispatcherLoop() {
  SteadyTime next_poll = std::chrono::steady_clock::now() + options_.poll_interval;
  std::deque<std::function<void()>> batch;
  while (true) {
    {
      std::unique_lock lock(tasks_mu_);
      auto ready = [this] { return stopping_ || !tasks_.empty(); };
      if (waiters_.empty()) {
        tasks_cv_.wait(lock, ready);
      } else {
        SteadyTime wake = next_poll;
        for (const auto& request : waiters_) wake = std::min(wake, *request->deadline);
        tasks_cv_.wait_until(lock, wake, ready);
      }
      if (stopping_) return;
      batch.swap(tasks_);
    }
    for (auto& task : batch) task();
    batch.clear();
    const SteadyTime now = std::chrono::steady_clock::now();
    bool expired = false;
    for (const auto& request : waiters_) expired = expired || now >= *request->deadline;
    if (!waiters_.empty() && (now >= next_poll || expired)) ProcessWaiters();
    if (now >= next_poll) next_poll = now + options_.poll_interval;
  }
}

bool GatewayCore::Busy(const std::string& node_id, const std::string& model, int slots,
                       SteadyTime now) const {
  auto refused = refused_until_.find({node_id, model});
  if (refused != refused_until_.end() && refused->second > now) return true;
  auto running = in_flight_.find({node_id, model});
  return running != in_flight_.end() && running->second >= slots;
}

void GatewayCore::Dispatch(const std::shared_ptr<GatewayRequest>& request) {
  if (request->closed.load()) {
    ClientClosed(request);
    return;
  }
  if (stopped_.load()) {
    Fail(*request, ErrorFor(request->format, Status::Unavailable("the server is shutting down")), 1,
         "", "");
    return;
  }
  if (TryStart(request) == TryResult::kBusy) Enqueue(request);
}

GatewayCore::TryResult GatewayCore::TryStart(const std::shared_ptr<GatewayRequest>& request) {
  GatewayRequest& r = *request;
  const std::string& model = r.parsed.model;
  const SteadyTime now = std::chrono::steady_clock::now();
  std::vector<router::NodeCandidate> candidates;
  std::map<std::string, int> slots;
  bool has_model = false;
  bool untried = false;
  for (fleet::RoutableNode& node : deps_.jobs->RoutableNodes(r.caller.org_id)) {
    if (node.org_id != r.caller.org_id || node.id == r.caller.node_id) continue;
    const bool capable =
        node.healthy && std::find(node.models_ready.begin(), node.models_ready.end(), model) !=
                            node.models_ready.end();
    has_model = has_model || capable;
    untried = untried || (capable && !r.failed_nodes.contains(node.id));
    slots[node.id] = SlotsFor(node, model);
    router::NodeCandidate candidate;
    candidate.id = std::move(node.id);
    candidate.org_id = std::move(node.org_id);
    candidate.group = std::move(node.group);
    candidate.labels = std::move(node.labels);
    candidate.healthy = node.healthy;
    candidate.models_ready = std::move(node.models_ready);
    candidate.outstanding_tokens = node.outstanding_tokens;
    candidates.push_back(std::move(candidate));
  }
  bool busy = false;
  for (const std::string& id : selector_.Order(candidates, r.selection)) {
    if (r.failed_nodes.contains(id)) continue;
    if (Busy(id, model, slots[id], now)) {
      busy = true;
      continue;
    }
    r.lease = selector_.Acquire(id, r.lease_tokens);
    ++in_flight_[{id, model}];
    r.holds_slot = true;
    r.running = true;
    ++running_count_;
    r.node_id = id;
    uint64_t attempt = 0;
    {
      std::lock_guard lock(r.mu);
      attempt = ++r.attempt;
      r.attempt_node = id;
      r.head_seen = false;
      r.refused = false;
      r.head_status = 0;
      r.head_headers = net::HttpHeaders();
      r.streaming = false;
      r.buffer.clear();
      r.record.completion_text.clear();
    }
    auto observer = std::make_shared<RequestObserver>(weak_from_this(), request, attempt);
    auto job = deps_.jobs->StartJob(id, r.job, std::move(observer));
    if (!job) {
      Log("request " + r.request_id + ": node " + id +
          " refused the job: " + job.error().ToString());
      ReleaseNode(r);
      selector_.RecordFailure(id);
      r.failed_nodes.insert(id);
      continue;
    }
    r.job_id = std::move(*job);
    active_[request.get()] = request;
    return TryResult::kStarted;
  }
  // A node still cooling down (not ordered) may come back: wait for it as for a busy one.
  if (busy || untried) return TryResult::kBusy;
  if (r.cloud_target) {
    StartCloud(request);
    return TryResult::kHandled;
  }
  if (has_model) {
    Fail(
        r,
        ErrorFor(r.format, Status::Unavailable("no device of the organisation could serve model '" +
                                               model + "' (every one failed)")),
        RetryAfterFor(r.policy), "", "");
  } else {
    Fail(r,
         r.format == ApiFormat::kAnthropic ? api::AnthropicModelNotFound(model)
                                           : api::OpenAiModelNotFound(model),
         0, "", "");
  }
  return TryResult::kHandled;
}

void GatewayCore::Enqueue(const std::shared_ptr<GatewayRequest>& request) {
  GatewayRequest& r = *request;
  const SteadyTime now = std::chrono::steady_clock::now();
  if (!r.deadline) r.deadline = now + r.policy.max_queue_wait;
  if (now >= *r.deadline) {
    NoNodeInTime(request, "every device able to serve model '" + r.parsed.model +
                              "' stayed busy for " +
                              std::to_string(r.policy.max_queue_wait.count()) + " ms");
    return;
  }
  if (waiters_.size() >= options_.max_waiting) {
    NoNodeInTime(request, "every device able to serve model '" + r.parsed.model +
                              "' is busy and the request queue is full (" +
                              std::to_string(waiters_.size()) + " waiting)");
    return;
  }
  r.queued = true;
  waiters_.push_back(request);
  ++waiting_count_;
}

void GatewayCore::NoNodeInTime(const std::shared_ptr<GatewayRequest>& request,
                               const std::string& why) {
  if (request->cloud_target) {
    StartCloud(request);
    return;
  }
  const int64_t retry_after = RetryAfterFor(request->policy);
  Fail(
      *request,
      OverloadedError(request->format, why + "; retry after " + std::to_string(retry_after) + " s"),
      retry_after, "", "");
}

void GatewayCore::ProcessWaiters() {
  if (stopped_.load()) return;  // Stop() answers the waiters
  const SteadyTime now = std::chrono::steady_clock::now();
  std::deque<std::shared_ptr<GatewayRequest>> pending;
  pending.swap(waiters_);
  // (organisation, model, forwarding node) found busy in this pass: the later waiters for the same
  // thing stay in line without another look (FIFO, and a pass stays cheap with many waiters).
  std::set<std::string> busy;
  for (auto& request : pending) {
    if (!request->queued) continue;  // taken out already (client closed)
    if (request->closed.load()) {
      waiters_.push_back(request);  // ClientClosed (posted) takes it out
      continue;
    }
    if (now >= *request->deadline) {
      request->queued = false;
      --waiting_count_;
      NoNodeInTime(request, "every device able to serve model '" + request->parsed.model +
                                "' stayed busy for " +
                                std::to_string(request->policy.max_queue_wait.count()) + " ms");
      continue;
    }
    const std::string key =
        request->caller.org_id + '\n' + request->parsed.model + '\n' + request->caller.node_id;
    if (request->failed_nodes.empty() && busy.contains(key)) {
      waiters_.push_back(request);
      continue;
    }
    if (TryStart(request) == TryResult::kBusy) {
      if (request->failed_nodes.empty()) busy.insert(key);
      waiters_.push_back(request);
      continue;
    }
    request->queued = false;
    --waiting_count_;
  }
}

void GatewayCore::ReleaseNode(GatewayRequest& request) {
  if (request.holds_slot) {
    auto it = in_flight_.find({request.node_id, request.parsed.model});
    if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
    request.holds_slot = false;
  }
  request.lease.Release();
  if (request.running) {
    request.running = false;
    --running_count_;
  }
  active_.erase(&request);
}

void GatewayCore::JobFinished(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                              bool ok) {
  {
    std::lock_guard lock(request->mu);
    if (attempt != request->attempt) return;
  }
  if (!request->holds_slot) return;
  const std::string node = request->node_id;
  ReleaseNode(*request);
  if (ok) {
    selector_.RecordSuccess(node);
    selector_.BindSession(request->caller.org_id, request->selection.session_id, node);
  } else {
    selector_.RecordFailure(node);
  }
  for (auto it = refused_until_.begin(); it != refused_until_.end();) {
    it = it->second <= std::chrono::steady_clock::now() ? refused_until_.erase(it) : std::next(it);
  }
  ProcessWaiters();
}

void GatewayCore::RetryElsewhere(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                                 const Status& why, bool node_refused) {
  {
    std::lock_guard lock(request->mu);
    if (attempt != request->attempt) return;
  }
  if (!request->holds_slot) return;
  const std::string node = request->node_id;
  deps_.jobs->CancelJob(request->job_id);
  ReleaseNode(*request);
  if (node_refused) {
    refused_until_[{node, request->parsed.model}] =
        std::chrono::steady_clock::now() + options_.refused_backoff;
  } else {
    selector_.RecordFailure(node);
    request->failed_nodes.insert(node);
  }
  Log("request " + request->request_id + ": node " + node + " could not serve it (" +
      why.ToString() + "); trying another");
  Dispatch(request);
  ProcessWaiters();
}

void GatewayCore::ClientClosed(const std::shared_ptr<GatewayRequest>& request) {
  if (request->queued) {
    request->queued = false;
    --waiting_count_;
    std::erase(waiters_, request);
  }
  if (request->holds_slot) {
    deps_.jobs->CancelJob(request->job_id);
    ReleaseNode(*request);
  }
  {
    std::lock_guard lock(request->mu);
    ++request->attempt;  // frames still on their way are ignored
    request->finished = true;
    if (request->record.route.empty() && !request->attempt_node.empty()) {
      request->record.route = "node";
      request->record.target = request->attempt_node;
    }
  }
  Record(*request, 499, "the client closed the connection");
  ProcessWaiters();
}

void GatewayCore::StartCloud(const std::shared_ptr<GatewayRequest>& request) {
  {
    std::lock_guard lock(cloud_mu_);
    if (!cloud_stopping_) {
      cloud_tasks_.push_back(request);
      cloud_cv_.notify_one();
      return;
    }
  }
  Fail(*request, ErrorFor(request->format, Status::Unavailable("the server is shutting down")), 1,
       "", "");
}

}  // namespace locai::control::gateway
