// FleetAgent: the device side of the fleet link (docs/control-plane.md, Fleet link).
//
// Two threads. The link thread connects (through the FleetLinkFactory), sends `hello`
// (capabilities and model states), then reads frames: `welcome` sets the heartbeat interval,
// `desired_models` hands the list to the reconcile thread, `revoked` stops the agent for good.
// Between frames it sends a `heartbeat` every heartbeat_seconds (capabilities, model states, queue
// depth, tokens per second). A failed connect or a lost connection is retried with exponential
// backoff (backoff_initial doubling to backoff_max, full jitter: a uniform wait in [0, cap]); the
// backoff starts over after a `welcome`.
// Inference over the fleet link: `job` / `job_cancel` frames go to the JobRunner (job_runner.h),
// which answers on the same link; a lost link closes its jobs. The node's own generation requests
// (RequestDone, from NodeOptions::on_request_done; jobs excluded) are kept in a bounded buffer
// (oldest dropped and counted) and sent as `request_log` frames while connected, within 1 s.
// The reconcile thread runs Reconciler::Apply on the latest desired list; a newer list cancels the
// running Apply (downloads resume) and starts over. Each model state change is sent at once as
// `model_status` when connected; `hello` carries them all after a reconnect.
// Thread-safety: Start() and Stop() from the owning thread; the accessors from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "node/agent/fleet_link.h"
#include "node/agent/fleet_messages.h"
#include "node/agent/job_runner.h"
#include "node/agent/reconciler.h"
#include "node/request_log.h"

namespace locai::node::agent {

struct AgentLoad {
  int64_t queue_depth = 0;
  uint64_t generated_tokens = 0;  // a counter; the agent turns it into tokens per second
};

struct FleetAgentOptions {
  std::string node_id;
  std::string version = "0.1.0";
  std::string server_name;                       // for log lines ("connected to https://...")
  FleetLinkFactory connect;                      // required
  ModelHost* host = nullptr;                     // required; outlives the agent
  std::function<nlohmann::json()> capabilities;  // probed for each hello / heartbeat
  std::function<AgentLoad()> load;               // empty: zeros
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds default_heartbeat{5'000};  // until `welcome` says otherwise
  ReconcilerOptions reconciler;
  // One line per notable event (connected, lost, revoked, model state). Empty: stderr.
  std::function<void(std::string_view level, std::string_view message)> log;
  std::function<void(std::string_view reason)> on_revoked;  // called once, on the link thread
  // Runs `job` frames; outlives the agent. Null: jobs are answered job_error.
  JobRunner* jobs = nullptr;
  // Request records kept while not connected; past it the oldest are dropped.
  size_t request_log_capacity = 1000;
};

class FleetAgent {
 public:
  explicit FleetAgent(FleetAgentOptions options);
  ~FleetAgent();  // Stop()s
  FleetAgent(const FleetAgent&) = delete;
  FleetAgent& operator=(const FleetAgent&) = delete;

  // Starts the threads. FailedPrecondition when started before or an option is missing.
  Status Start();
  // Stops both threads (cancelling a download, closing the link) and joins them. Idempotent.
  void Stop();

  bool connected() const;
  bool revoked() const;
  std::string revoked_reason() const;
  // Successful connections so far (a reconnect counts).
  int64_t connections() const;
  std::vector<ModelState> models() const;

  // A request finished on this node (NodeOptions::on_request_done), from any thread. A job's
  // entry is handed to the JobRunner (its usage); a generation request of the node's own HTTP API
  // is queued for `request_log` (no prompt or output text is kept). Others are ignored.
  void RequestDone(const RequestLogEntry& entry);
  // Request records dropped because the buffer was full (total).
  int64_t dropped_request_records() const;

 private:
  void LinkLoop();
  void ReconcileLoop();
  // Runs one connection until it ends; returns true when a `welcome` arrived.
  bool RunConnection(const std::shared_ptr<FleetLink>& link);
  void HandleFrame(const std::shared_ptr<FleetLink>& link, const std::string& text, bool* welcomed);
  // Sends the buffered request records (when any); false when the link failed.
  bool FlushRequestLog(FleetLink& link);
  void SendState(const ModelState& state);
  std::string Heartbeat();
  void Log(std::string_view level, std::string_view message);
  // Sleeps up to `duration`; false when stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds duration);

  FleetAgentOptions options_;
  std::unique_ptr<Reconciler> reconciler_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;                              // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  bool revoked_ = false;                              // guarded by mu_
  std::string revoked_reason_;                        // guarded by mu_
  int64_t connections_ = 0;                           // guarded by mu_
  std::shared_ptr<FleetLink> link_;                   // guarded by mu_: set while hello was sent
  std::optional<std::vector<DesiredModel>> pending_;  // guarded by mu_: the latest list
  std::chrono::milliseconds heartbeat_;               // guarded by mu_
  std::atomic<bool> cancel_apply_{false};
  // request_log buffer.
  mutable std::mutex log_mu_;
  std::deque<RequestRecord> request_records_;  // guarded by log_mu_
  int64_t dropped_unsent_ = 0;                 // guarded by log_mu_: since the last frame
  int64_t dropped_total_ = 0;                  // guarded by log_mu_
  std::mt19937_64 random_;                     // link thread only
  // Tokens-per-second bookkeeping (link thread only).
  uint64_t last_tokens_ = 0;
  std::chrono::steady_clock::time_point last_sample_;

  std::thread link_thread_;
  std::thread reconcile_thread_;
};

}  // namespace locai::node::agent
