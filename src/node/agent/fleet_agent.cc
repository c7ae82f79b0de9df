#include "node/agent/fleet_agent.h"

#include <algorithm>
#include <cstdio>

namespace locai::node::agent {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kRecordsPerFrame = 200;

bool IsGenerationEndpoint(std::string_view endpoint) {
  return endpoint == "/v1/chat/completions" || endpoint == "/v1/completions" ||
         endpoint == "/v1/messages";
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

FleetAgent::FleetAgent(FleetAgentOptions options)
    : options_(std::move(options)),
      heartbeat_(options_.default_heartbeat),
      random_(std::random_device{}()) {
  if (options_.host != nullptr) {
    reconciler_ = std::make_unique<Reconciler>(
        *options_.host, [this](const ModelState& state) { SendState(state); }, options_.reconciler);
  }
}

FleetAgent::~FleetAgent() { Stop(); }

Status FleetAgent::Start() {
  if (!options_.connect || options_.host == nullptr) {
    return Status::FailedPrecondition("the fleet agent needs a link factory and a model host");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return Status::FailedPrecondition("the fleet agent is already started");
    started_ = true;
  }
  last_sample_ = Clock::now();
  link_thread_ = std::thread([this] { LinkLoop(); });
  reconcile_thread_ = std::thread([this] { ReconcileLoop(); });
  return Status::Ok();
}

void FleetAgent::Stop() {
  std::shared_ptr<FleetLink> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    link = link_;
  }
  cancel_apply_.store(true);
  cv_.notify_all();
  if (link) link->Close();
  if (link_thread_.joinable()) link_thread_.join();
  if (reconcile_thread_.joinable()) reconcile_thread_.join();
}

bool FleetAgent::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return link_ != nullptr;
}

bool FleetAgent::revoked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return revoked_;
}

std::string FleetAgent::revoked_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return revoked_reason_;
}

int64_t FleetAgent::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

std::vector<ModelState> FleetAgent::models() const {
  return reconciler_ ? reconciler_->States() : std::vector<ModelState>{};
}

void FleetAgent::Log(std::string_view level, std::string_view message) {
  if (options_.log) {
    options_.log(level, message);
    return;
  }
  std::fprintf(stderr, "fleet %.*s: %.*s\n", static_cast<int>(level.size()), level.data(),
               static_cast<int>(message.size()), message.data());
}

bool FleetAgent::SleepUnlessStopping(milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, duration, [&] { return stopping_; });
}

void FleetAgent::LinkLoop() {
  int failures = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    auto connected = options_.connect();
    if (!connected) {
      const Status& error = connected.error();
      if (error.code() == StatusCode::kUnauthenticated ||
          error.code() == StatusCode::kPermissionDenied) {
        Log("error",
            "the control plane refused this node's credential (revoked, or clocks more "
            "than 2 minutes apart); retrying: " +
                error.message());
      } else {
        Log("warn", "cannot connect the fleet link: " + error.ToString());
      }
    } else {
      std::shared_ptr<FleetLink> link(std::move(*connected));
      if (RunConnection(link)) failures = 0;
      link->Close();
    }
    // Full jitter: a uniform wait in [0, min(max, initial * 2^failures)].
    const int64_t initial = std::max<int64_t>(1, options_.backoff_initial.count());
    const int64_t cap =
        std::min<int64_t>(options_.backoff_max.count(), initial << std::min(failures, 20));
    ++failures;
    std::uniform_int_distribution<int64_t> wait(0, std::max<int64_t>(0, cap));
    if (!SleepUnlessStopping(milliseconds(wait(random_)))) return;
  }
}

bool FleetAgent::RunConnection(const std::shared_ptr<FleetLink>& link) {
  const nlohmann::json capabilities =
      options_.capabilities ? options_.capabilities() : nlohmann::json::object();
  const Status hello =
      link->Send(HelloMessage(options_.node_id, options_.version, capabilities, models()));
  if (!hello.ok()) {
    Log("warn", "fleet link lost before hello: " + hello.ToString());
    return false;
  }
  milliseconds heartbeat;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    link_ = link;
    ++connections_;
    heartbeat = heartbeat_;
  }
  Log("info", "connected to " + (options_.server_name.empty() ? std::string("the control plane")
                                                              : options_.server_name));
  bool welcomed = false;
  auto next_heartbeat = Clock::now() + heartbeat;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      heartbeat = heartbeat_;
    }
    const auto now = Clock::now();
    if (!FlushRequestLog(*link)) {
      Log("warn", "fleet link lost while sending request records");
      break;
    }
    if (now >= next_heartbeat) {
      const Status sent = link->Send(Heartbeat());
      if (!sent.ok()) {
        Log("warn", "fleet link lost: " + sent.ToString());
        break;
      }
      next_heartbeat = now + heartbeat;
      continue;
    }
    const auto wait = std::clamp(std::chrono::duration_cast<milliseconds>(next_heartbeat - now),
                                 milliseconds(1), milliseconds(1000));
    auto frame = link->Receive(wait);
    if (frame) {
      const bool was_welcomed = welcomed;
      HandleFrame(link, *frame, &welcomed);
      if (welcomed && !was_welcomed) {
        std::lock_guard<std::mutex> lock(mu_);
        next_heartbeat = Clock::now() + heartbeat_;
      }
      continue;
    }
    if (frame.error().code() == StatusCode::kDeadlineExceeded) continue;
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
    }
    if (!stopping) Log("warn", "fleet link lost: " + frame.error().ToString());
    break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    link_.reset();
  }
  if (options_.jobs != nullptr) options_.jobs->LinkLost(link);
  return welcomed;
}

void FleetAgent::RequestDone(const RequestLogEntry& entry) {
  if (options_.jobs != nullptr && options_.jobs->OnRequestDone(entry)) return;
  if (!IsGenerationEndpoint(entry.endpoint)) return;
  RequestRecord record;
  record.request_id = entry.request_id;
  record.endpoint = entry.endpoint;
  record.model = entry.model;
  record.status = entry.status;
  record.prompt_tokens = entry.prompt_tokens;
  record.completion_tokens = entry.completion_tokens;
  record.duration_ms = static_cast<int64_t>(entry.total_ms + 0.5);
  record.at_ms = UnixMillis() - record.duration_ms;
  record.error = entry.error;
  std::lock_guard<std::mutex> lock(log_mu_);
  request_records_.push_back(std::move(record));
  while (request_records_.size() > std::max<size_t>(1, options_.request_log_capacity)) {
    request_records_.pop_front();
    ++dropped_unsent_;
    ++dropped_total_;
  }
}

int64_t FleetAgent::dropped_request_records() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return dropped_total_;
}

bool FleetAgent::FlushRequestLog(FleetLink& link) {
  while (true) {
    std::vector<RequestRecord> records;
    int64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(log_mu_);
      if (request_records_.empty()) return true;
      while (!request_records_.empty() && records.size() < kRecordsPerFrame) {
        records.push_back(std::move(request_records_.front()));
        request_records_.pop_front();
      }
      dropped = dropped_unsent_;
      dropped_unsent_ = 0;
    }
    if (!link.Send(RequestLogMessage(records, dropped)).ok()) {
      // Kept for the next connection (still bounded).
      std::lock_guard<std::mutex> lock(log_mu_);
      dropped_unsent_ += dropped;
      for (auto it = records.rbegin(); it != records.rend(); ++it) {
        request_records_.push_front(std::move(*it));
      }
      while (request_records_.size() > std::max<size_t>(1, options_.request_log_capacity)) {
        request_records_.pop_front();
        ++dropped_unsent_;
        ++dropped_total_;
      }
      return false;
    }
  }
}

void FleetAgent::HandleFrame(const std::shared_ptr<FleetLink>& link, const std::string& text,
                             bool* welcomed) {
  auto message = ParseServerMessage(text);
  if (!message) {
    Log("warn", "ignoring a malformed fleet message: " + message.error().message());
    return;
  }
  switch (message->type) {
    case ServerMessage::Type::kWelcome: {
      std::lock_guard<std::mutex> lock(mu_);
      heartbeat_ = std::chrono::seconds(message->heartbeat_seconds);
      *welcomed = true;
      break;
    }
    case ServerMessage::Type::kDesiredModels: {
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ = std::move(message->models);
      }
      cancel_apply_.store(true);
      cv_.notify_all();
      break;
    }
    case ServerMessage::Type::kRevoked: {
      {
        std::lock_guard<std::mutex> lock(mu_);
        revoked_ = true;
        revoked_reason_ = message->reason;
        stopping_ = true;
      }
      cancel_apply_.store(true);
      cv_.notify_all();
      Log("error", "this node was revoked by the control plane" +
                       (message->reason.empty() ? std::string() : ": " + message->reason) +
                       "; the fleet link stops and will not reconnect");
      if (options_.on_revoked) options_.on_revoked(message->reason);
      break;
    }
    case ServerMessage::Type::kJob:
      if (options_.jobs != nullptr) {
        options_.jobs->Start(link, message->job);
      } else {
        (void)link->Send(JobErrorMessage(message->job.id, "this node runs no jobs"));
      }
      break;
    case ServerMessage::Type::kJobCancel:
      if (options_.jobs != nullptr) options_.jobs->Cancel(message->job.id);
      break;
    case ServerMessage::Type::kUnknown:
      Log("info", "ignoring fleet message of unknown type '" + message->type_name + "'");
      break;
  }
}

void FleetAgent::ReconcileLoop() {
  while (true) {
    std::vector<DesiredModel> desired;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || pending_.has_value(); });
      if (stopping_) return;
      desired = std::move(*pending_);
      pending_.reset();
      cancel_apply_.store(false);
    }
    reconciler_->Apply(desired, &cancel_apply_);
  }
}

void FleetAgent::SendState(const ModelState& state) {
  if (state.state != "downloading" || state.progress == 0) {
    Log(state.state == "failed" || state.state == "does_not_fit" ? "warn" : "info",
        "model " + state.digest.substr(0, 19) + " " + state.state +
            (state.reason.empty() ? std::string() : ": " + state.reason));
  }
  std::shared_ptr<FleetLink> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    link = link_;
  }
  if (link) (void)link->Send(ModelStatusMessage(state));  // a loss shows on the link thread
}

std::string FleetAgent::Heartbeat() {
  const AgentLoad load = options_.load ? options_.load() : AgentLoad{};
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - last_sample_).count();
  double tokens_per_second = 0;
  if (seconds > 0 && load.generated_tokens >= last_tokens_) {
    tokens_per_second = static_cast<double>(load.generated_tokens - last_tokens_) / seconds;
  }
  last_tokens_ = load.generated_tokens;
  last_sample_ = now;
  const nlohmann::json capabilities =
      options_.capabilities ? options_.capabilities() : nlohmann::json::object();
  return HeartbeatMessage(capabilities, models(), load.queue_depth, tokens_per_second);
}

}  // namespace locai::node::agent
