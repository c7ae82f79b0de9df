#include "node/agent/job_runner.h"

#include <cctype>
#include <utility>
#include <vector>

namespace locai::node::agent {

// A ResponseWriter whose bytes go back over the fleet link as job_head / job_data / job_end.
// Its mutex is held while a frame is sent (keeping the frames of one job in call order) and never
// while OnClose callbacks run (they take the RequestSink's lock, which a Write may hold).
class LinkResponseWriter : public net::ResponseWriter {
 public:
  LinkResponseWriter(std::weak_ptr<JobRunner::State> state, std::shared_ptr<FleetLink> link,
                     std::string job_id, std::string request_id)
      : state_(std::move(state)),
        link_(std::move(link)),
        job_id_(std::move(job_id)),
        request_id_(std::move(request_id)) {}

  bool Send(net::HttpResponse response) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (phase_ != Phase::kIdle || closed_) return false;
      phase_ = Phase::kComplete;
      bool sent =
          SendFrameLocked(JobHeadMessage(job_id_, response.status, Headers(response.headers)));
      if (sent && !response.body.empty())
        sent = SendFrameLocked(JobDataMessage(job_id_, response.body));
      if (sent) SendFrameLocked(JobEndMessage(job_id_, prompt_tokens_, completion_tokens_));
    }
    Forget();
    return true;
  }

  bool StartStream(int status, net::HttpHeaders headers) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::kIdle || closed_) return false;
    phase_ = Phase::kStreaming;
    return SendFrameLocked(JobHeadMessage(job_id_, status, Headers(headers)));
  }

  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != Phase::kStreaming || closed_) return false;
    if (chunk.empty()) return true;
    return SendFrameLocked(JobDataMessage(job_id_, chunk));
  }

  bool End() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (phase_ != Phase::kStreaming || closed_) return false;
      phase_ = Phase::kComplete;
      SendFrameLocked(JobEndMessage(job_id_, prompt_tokens_, completion_tokens_));
    }
    Forget();
    return true;
  }

  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

  void OnClose(std::function<void()> callback) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (phase_ == Phase::kComplete) return;
      if (!callbacks_run_) {
        on_close_.push_back(std::move(callback));
        return;
      }
    }
    callback();  // already closed: at once, on the caller's thread
  }

  size_t queued_bytes() const override { return 0; }

  // job_cancel or the link lost: closed, OnClose callbacks run (once), no more frames.
  void Close() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      if (phase_ == Phase::kComplete || callbacks_run_) return;
      callbacks_run_ = true;
      callbacks.swap(on_close_);
    }
    Forget();
    for (auto& callback : callbacks) callback();
  }

  void SetUsage(int64_t prompt_tokens, int64_t completion_tokens) {
    std::lock_guard<std::mutex> lock(mu_);
    prompt_tokens_ = prompt_tokens;
    completion_tokens_ = completion_tokens;
  }

  const std::string& request_id() const { return request_id_; }
  const std::shared_ptr<FleetLink>& link() const { return link_; }

 private:
  enum class Phase { kIdle, kStreaming, kComplete };

  static std::vector<std::pair<std::string, std::string>> Headers(const net::HttpHeaders& headers) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, value] : headers.entries()) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.emplace_back(std::move(lower), value);
    }
    return out;
  }

  // A failed send means the link is gone: closed from now on; the agent's LinkLost runs the
  // OnClose callbacks (not here: the caller may hold the lock those callbacks take).
  bool SendFrameLocked(const std::string& frame) {
    if (link_->Send(frame).ok()) return true;
    closed_ = true;
    return false;
  }

  void Forget() {
    if (auto state = state_.lock()) {
      std::lock_guard<std::mutex> lock(state->mu);
      auto it = state->jobs.find(job_id_);
      if (it != state->jobs.end() && it->second.get() == this) {
        state->jobs.erase(it);
        state->RememberLocked(request_id_);
      }
    }
  }

  const std::weak_ptr<JobRunner::State> state_;
  const std::shared_ptr<FleetLink> link_;
  const std::string job_id_;
  const std::string request_id_;

  mutable std::mutex mu_;
  Phase phase_ = Phase::kIdle;                   // guarded by mu_
  bool closed_ = false;                          // guarded by mu_
  bool callbacks_run_ = false;                   // guarded by mu_
  std::vector<std::function<void()>> on_close_;  // guarded by mu_
  int64_t prompt_tokens_ = 0;                    // guarded by mu_
  int64_t completion_tokens_ = 0;                // guarded by mu_
};

void JobRunner::State::RememberLocked(const std::string& request_id) {
  if (!recent_ids.insert(request_id).second) return;
  recent.push_back(request_id);
  if (recent.size() > kRecentJobs) {
    recent_ids.erase(recent.front());
    recent.pop_front();
  }
}

JobRunner::JobRunner(JobDispatch dispatch)
    : dispatch_(std::move(dispatch)), state_(std::make_shared<State>()) {}

JobRunner::~JobRunner() {
  std::map<std::string, std::shared_ptr<LinkResponseWriter>> jobs;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    jobs.swap(state_->jobs);
  }
  for (auto& [id, writer] : jobs) writer->Close();
}

void JobRunner::Start(const std::shared_ptr<FleetLink>& link, const JobRequest& job) {
  net::HttpRequest request;
  request.method = job.method.empty() ? "POST" : job.method;
  request.target = job.path;
  request.path = job.path;
  if (const size_t query = request.path.find('?'); query != std::string::npos) {
    request.path.resize(query);
  }
  for (const auto& [name, value] : job.headers) request.headers.Add(name, value);
  request.headers.Set(std::string(kJobHeader), job.id);
  request.body = job.body;
  request.remote_address = "fleet-link";
  request.request_id = std::string(request.headers.GetOr("x-request-id", ""));
  if (request.request_id.empty()) request.request_id = job.id;

  auto writer = std::make_shared<LinkResponseWriter>(state_, link, job.id, request.request_id);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->jobs.emplace(job.id, writer).second) {
      (void)link->Send(JobErrorMessage(job.id, "a job with this id is already running"));
      return;
    }
  }
  dispatch_(std::move(request), writer);
}

void JobRunner::Cancel(const std::string& job_id) {
  std::shared_ptr<LinkResponseWriter> writer;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->jobs.find(job_id);
    if (it == state_->jobs.end()) return;
    writer = it->second;
  }
  writer->Close();
}

void JobRunner::LinkLost(const std::shared_ptr<FleetLink>& link) {
  std::vector<std::shared_ptr<LinkResponseWriter>> lost;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (const auto& [id, writer] : state_->jobs) {
      if (writer->link() == link) lost.push_back(writer);
    }
  }
  for (auto& writer : lost) writer->Close();
}

bool JobRunner::OnRequestDone(const RequestLogEntry& entry) {
  std::shared_ptr<LinkResponseWriter> writer;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (const auto& [id, job] : state_->jobs) {
      if (job->request_id() == entry.request_id) {
        writer = job;
        break;
      }
    }
    if (!writer) return state_->recent_ids.count(entry.request_id) > 0;
  }
  writer->SetUsage(entry.prompt_tokens, entry.completion_tokens);
  return true;
}

size_t JobRunner::running() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->jobs.size();
}

}  // namespace locai::node::agent
