// Test-only fakes for the reconciler and the fleet agent: a ModelHost that records what it is
// asked, and a fleet link whose other end the test plays.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/agent/fleet_link.h"
#include "node/agent/reconciler.h"

namespace locai::node::agent::testing {

class FakeHost : public ModelHost {
 public:
  Result<std::string> Fetch(const DesiredModel& model, const PullProgress& progress,
                            const std::atomic<bool>* cancel) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back("fetch " + model.digest);
    if (auto it = fetch_errors.find(model.digest); it != fetch_errors.end()) {
      return Err(it->second);
    }
    const uint64_t size = model.size > 0 ? model.size : 100;
    for (uint64_t step = 1; step <= progress_steps; ++step) {
      if (cancel != nullptr && cancel->load()) return Err(Status::Cancelled("cancelled"));
      if (progress) progress(size * step / progress_steps, size);
    }
    stored.insert(model.digest);
    return "/blobs/" + model.digest;
  }
  Status Load(const DesiredModel& model, const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back("load " + model.digest + " " + path);
    if (auto it = load_errors.find(model.digest); it != load_errors.end()) return it->second;
    loaded[model.digest] = model.names;
    return Status::Ok();
  }
  Status Remove(const std::string& digest) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back("remove " + digest);
    loaded.erase(digest);
    stored.erase(digest);
    return Status::Ok();
  }
  std::vector<std::string> StoredDigests() override {
    std::lock_guard<std::mutex> lock(mu_);
    return {stored.begin(), stored.end()};
  }
  std::vector<std::string> TakeCalls() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    out.swap(calls);
    return out;
  }

  std::mutex mu_;
  std::vector<std::string> calls;                          // guarded by mu_
  std::map<std::string, Status> fetch_errors;              // guarded by mu_
  std::map<std::string, Status> load_errors;               // guarded by mu_
  std::map<std::string, std::vector<std::string>> loaded;  // guarded by mu_
  std::set<std::string> stored;                            // guarded by mu_
  uint64_t progress_steps = 4;
};

// A blocking queue of frames, closable.
class FrameQueue {
 public:
  void Push(std::string frame) {
    std::lock_guard<std::mutex> lock(mu_);
    frames_.push_back(std::move(frame));
    cv_.notify_all();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  // The next frame, DeadlineExceeded after `timeout`, Unavailable once closed and drained.
  Result<std::string> Pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !frames_.empty() || closed_; })) {
      return Err(Status::DeadlineExceeded("no frame"));
    }
    if (frames_.empty()) return Err(Status::Unavailable("closed"));
    std::string frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> frames_;
  bool closed_ = false;
};

// One connection: the agent's end is a FleetLink; the test holds the server's end.
struct FakeConnection {
  FrameQueue to_server;
  FrameQueue to_node;
  void Close() {
    to_server.Close();
    to_node.Close();
  }
};

class FakeLink : public FleetLink {
 public:
  explicit FakeLink(std::shared_ptr<FakeConnection> connection)
      : connection_(std::move(connection)) {}
  ~FakeLink() override { Close(); }
  Status Send(std::string_view text) override {
    if (connection_->to_server.closed()) return Status::Unavailable("link closed");
    connection_->to_server.Push(std::string(text));
    return Status::Ok();
  }
  Result<std::string> Receive(std::chrono::milliseconds timeout) override {
    return connection_->to_node.Pop(timeout);
  }
  void Close() override { connection_->Close(); }

 private:
  std::shared_ptr<FakeConnection> connection_;
};

// Hands out connections; the test takes each one with Accept().
class FakeFleetServer {
 public:
  FleetLinkFactory Factory() {
    return [this]() -> Result<std::unique_ptr<FleetLink>> {
      std::lock_guard<std::mutex> lock(mu_);
      ++attempts_;
      if (refuse_ > 0) {
        --refuse_;
        return Err(Status::Unavailable("connection refused"));
      }
      auto connection = std::make_shared<FakeConnection>();
      accepted_.push_back(connection);
      cv_.notify_all();
      return std::unique_ptr<FleetLink>(std::make_unique<FakeLink>(connection));
    };
  }
  // The n-th connection (0-based), waiting up to `timeout` for it.
  std::shared_ptr<FakeConnection> Accept(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return accepted_.size() > n; });
    return accepted_.size() > n ? accepted_[n] : nullptr;
  }
  void Refuse(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    refuse_ = n;
  }
  int attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<FakeConnection>> accepted_;  // guarded by mu_
  int refuse_ = 0;                                         // guarded by mu_
  int attempts_ = 0;                                       // guarded by mu_
};

// The next frame the node sent on `connection` whose type is `type` (skipping others), or null
// when none comes within `timeout` or the connection closed.
inline nlohmann::json NextOfType(FakeConnection& connection, const std::string& type,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = connection.to_server.Pop(std::chrono::milliseconds(10));
    if (!frame) {
      if (frame.error().code() == StatusCode::kUnavailable) return nullptr;
      continue;
    }
    nlohmann::json message = nlohmann::json::parse(*frame);
    if (message["type"] == type) return message;
  }
  return nullptr;
}

}  // namespace locai::node::agent::testing
