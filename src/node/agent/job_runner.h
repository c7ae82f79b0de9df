// JobRunner: the node's side of inference over the fleet link (docs/control-plane.md, "Inference
// over the fleet link"). A `job` frame becomes a net::HttpRequest run by the node's own handlers
// (NodeServer::Dispatch), and the response they write comes back as frames on the same link:
//   Send(response)            -> job_head, job_data (the body, when not empty), job_end
//   StartStream / Write / End -> job_head, job_data per chunk, job_end
// job_end carries the usage of the request's log entry (OnRequestDone, which the node calls
// before it hands the last byte to the writer). A `job_cancel`, or the loss of the link the job
// came on, closes the job's writer: closed() turns true and its OnClose callbacks run, which
// cancels the generation.
//
// The request id of a job is its `x-request-id` header when it has one, else the job id; the
// request also carries `x-locai-job: <job id>` so that handlers can tell a job from a client.
// Thread-safety: every method may be called from any thread. Frames of one job are sent in the
// order its writer is called; sends go through FleetLink::Send (thread-safe).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "net/http/http_message.h"
#include "net/http/response_writer.h"
#include "node/agent/fleet_link.h"
#include "node/agent/fleet_messages.h"
#include "node/request_log.h"

namespace locai::node::agent {

// Runs a request through the node's handlers (NodeServer::Dispatch).
using JobDispatch = std::function<void(net::HttpRequest, std::shared_ptr<net::ResponseWriter>)>;

inline constexpr std::string_view kJobHeader = "x-locai-job";

class LinkResponseWriter;

class JobRunner {
 public:
  explicit JobRunner(JobDispatch dispatch);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Runs `job` and answers on `link`. A job id already running is answered job_error.
  void Start(const std::shared_ptr<FleetLink>& link, const JobRequest& job);
  // job_cancel: closes the job's writer (the generation is cancelled). Unknown ids are ignored.
  void Cancel(const std::string& job_id);
  // The link ended: closes the writer of every job that came on it.
  void LinkLost(const std::shared_ptr<FleetLink>& link);
  // A finished request's log entry (NodeOptions::on_request_done). True when it was a job's (a
  // running job's usage goes into its job_end), false for the node's own HTTP requests.
  bool OnRequestDone(const RequestLogEntry& entry);
  // Jobs whose response is not complete yet.
  size_t running() const;

  // The running jobs; writers hold it weakly (a writer may outlive the runner).
  struct State {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<LinkResponseWriter>> jobs;  // guarded by mu, by job id
    // Request ids of jobs that ended (answered, cancelled, lost), newest last, at most
    // kRecentJobs: a cancelled job's log entry comes after its writer closed.
    std::deque<std::string> recent;    // guarded by mu
    std::set<std::string> recent_ids;  // guarded by mu
    void RememberLocked(const std::string& request_id);
  };
  static constexpr size_t kRecentJobs = 1024;

 private:
  const JobDispatch dispatch_;
  const std::shared_ptr<State> state_;
};

}  // namespace locai::node::agent
