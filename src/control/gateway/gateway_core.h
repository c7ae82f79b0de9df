// Internals of the gateway (gateway.h): one request's state (GatewayRequest) and the core that
// routes them. Not part of the library's interface.
//
// Threads and what they own:
//   io threads (the HTTP server's): intake (auth, parse, policy), then Post() to the dispatcher;
//   the dispatcher thread: every routing decision and the state marked "dispatcher" below (node
//     in-flight counts, the waiting queue, each request's node / job / lease), so those need no
//     lock; timers (queue deadlines, polling) run here too;
//   the fleet's io threads: a node job's frames (RequestObserver), relayed to the client under the
//     request's own mutex; anything that needs a routing decision is posted to the dispatcher;
//   cloud workers: one cloud call each (CloudClient blocks).
// No lock is held while calling NodeJobs, and the writer's OnClose callback only sets a flag and
// posts, so a callback that runs inside a writer call cannot deadlock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/common/generation.h"
#include "control/gateway/api_format.h"
#include "control/gateway/gateway.h"
#include "control/policy/pii_detector.h"
#include "control/router/routing_policy.h"

namespace locai::control::gateway {

using SteadyTime = std::chrono::steady_clock::time_point;

struct GatewayRequest {
  // Set at intake, read-only afterwards.
  std::string request_id;
  ApiFormat format = ApiFormat::kOpenAi;
  Caller caller;
  api::GenerationRequest parsed;
  router::OrgPolicy policy;
  std::optional<router::CloudTarget> cloud_target;  // hybrid, mapped, cloud allowed
  router::SelectionRequest selection;
  fleet::NodeJob job;
  int64_t lease_tokens = 0;
  SteadyTime arrived{};
  bool capture = false;  // hooks.CapturePrompts(org)
  std::shared_ptr<net::ResponseWriter> writer;
  std::atomic<bool> closed{false};

  // Dispatcher thread only.
  std::string node_id;  // the node of the current attempt
  std::string job_id;
  router::NodeSelector::Lease lease;
  bool holds_slot = false;
  bool running = false;  // a node job or a cloud call is under way
  bool queued = false;
  std::set<std::string> failed_nodes;  // failed this request: not tried again
  std::optional<SteadyTime> deadline;  // of the queue wait, set when it first waits

  // Relay state, guarded by mu.
  std::mutex mu;
  uint64_t attempt = 0;      // frames of older attempts are ignored
  std::string attempt_node;  // the node of `attempt`
  int head_status = 0;
  net::HttpHeaders head_headers;
  bool head_seen = false;
  bool refused = false;    // the node answered 429/503: the rest of this attempt is ignored
  bool streaming = false;  // the node answers text/event-stream: relayed as it comes
  bool started = false;    // the client's head was sent
  bool finished = false;   // the client's response is complete (or the client is gone)
  std::string buffer;      // a non-streamed body, sent whole at the end
  InferenceRecord record;
  bool recorded = false;
};

class GatewayCore : public std::enable_shared_from_this<GatewayCore> {
 public:
  GatewayCore(GatewayDeps deps, GatewayOptions options, policy::PiiDetector detector);
  ~GatewayCore();

  void Start();
  void Stop();

  // Route handlers (io threads).
  void HandleGeneration(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer);
  void HandleModels(net::HttpRequest request, std::shared_ptr<net::ResponseWriter> writer);

  size_t waiting() const { return waiting_count_.load(); }
  size_t running() const { return running_count_.load(); }

  // A node job's frames (fleet threads), for attempt `attempt` of `request`.
  void OnHead(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt, int status,
              std::vector<std::pair<std::string, std::string>> headers);
  void OnData(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt, std::string data);
  void OnEnd(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
             fleet::NodeJobUsage usage);
  void OnFailed(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt, Status status);

 private:
  enum class TryResult { kStarted, kBusy, kHandled };

  // Runs `task` on the dispatcher thread; false (dropped) once stopping.
  bool Post(std::function<void()> task);
  void DispatcherLoop();
  void CloudLoop();
  int64_t NowMs() const;
  void Log(std::string_view line) const;

  // Dispatcher thread.
  void Dispatch(const std::shared_ptr<GatewayRequest>& request);
  TryResult TryStart(const std::shared_ptr<GatewayRequest>& request);
  void Enqueue(const std::shared_ptr<GatewayRequest>& request);
  void ProcessWaiters();
  void NoNodeInTime(const std::shared_ptr<GatewayRequest>& request, const std::string& why);
  void ReleaseNode(GatewayRequest& request);
  void JobFinished(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt, bool ok);
  void RetryElsewhere(const std::shared_ptr<GatewayRequest>& request, uint64_t attempt,
                      const Status& why, bool node_refused);
  void ClientClosed(const std::shared_ptr<GatewayRequest>& request);
  bool Busy(const std::string& node_id, const std::string& model, int slots, SteadyTime now) const;
  void StartCloud(const std::shared_ptr<GatewayRequest>& request);

  // Any thread.
  void RunCloud(const std::shared_ptr<GatewayRequest>& request);
  // Sends an error response (or, after data, the error event) and records the request.
  void Fail(GatewayRequest& request, const api::ApiError& error, int64_t retry_after_s,
            std::string_view route, std::string_view target);
  // Completes the record (once) and hands it to hooks.inference.
  void Record(GatewayRequest& request, int status, std::string error);

  GatewayDeps deps_;
  GatewayOptions options_;
  policy::PiiDetector detector_;
  router::NodeSelector selector_;

  std::mutex tasks_mu_;
  std::condition_variable tasks_cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(tasks_mu_)
  bool stopping_ = false;                    // GUARDED_BY(tasks_mu_)
  std::thread dispatcher_;

  std::mutex cloud_mu_;
  std::condition_variable cloud_cv_;
  std::deque<std::shared_ptr<GatewayRequest>> cloud_tasks_;  // GUARDED_BY(cloud_mu_)
  bool cloud_stopping_ = false;                              // GUARDED_BY(cloud_mu_)
  std::vector<std::thread> cloud_workers_;

  // Dispatcher thread only.
  std::map<std::pair<std::string, std::string>, int> in_flight_;  // (node, model) -> jobs
  std::map<std::pair<std::string, std::string>, SteadyTime> refused_until_;
  std::deque<std::shared_ptr<GatewayRequest>> waiters_;
  std::map<GatewayRequest*, std::shared_ptr<GatewayRequest>> active_;

  std::atomic<size_t> waiting_count_{0};
  std::atomic<size_t> running_count_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace locai::control::gateway
