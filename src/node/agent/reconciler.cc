#include "node/agent/reconciler.h"

#include <algorithm>
#include <set>

namespace locai::node::agent {
namespace {

bool IsCancelled(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

}  // namespace

Reconciler::Reconciler(ModelHost& host, StateSink sink, ReconcilerOptions options)
    : host_(host), sink_(std::move(sink)), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::chrono::steady_clock::now(); };
}

std::vector<ModelState> Reconciler::States() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ModelState> out;
  out.reserve(states_.size());
  for (const auto& [digest, state] : states_) out.push_back(state);
  return out;
}

void Reconciler::Set(ModelState state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state.state == "removed") {
      states_.erase(state.digest);
    } else {
      states_[state.digest] = state;
    }
  }
  if (sink_) sink_(state);
}

void Reconciler::Apply(const std::vector<DesiredModel>& desired, const std::atomic<bool>* cancel) {
  std::set<std::string> wanted;
  for (const auto& model : desired) wanted.insert(model.digest);

  for (const ModelState& held : States()) {
    if (wanted.count(held.digest) != 0) continue;
    if (IsCancelled(cancel)) return;
    ModelState state = held;
    state.state = "removing";
    state.progress = 0;
    state.reason.clear();
    Set(state);
    const Status removed = host_.Remove(held.digest);
    state.state = removed.ok() ? "removed" : "failed";
    state.reason = removed.ok() ? "" : "removing failed: " + removed.message();
    Set(state);
  }

  for (const auto& model : desired) {
    if (IsCancelled(cancel)) return;
    Reconcile(model, cancel);
  }
  if (IsCancelled(cancel)) return;
  // Blobs left from earlier runs or removals that failed half-way.
  for (const std::string& digest : host_.StoredDigests()) {
    if (wanted.count(digest) == 0) (void)host_.Remove(digest);
  }
}

void Reconciler::Reconcile(const DesiredModel& model, const std::atomic<bool>* cancel) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = states_.find(model.digest);
    if (it != states_.end() && it->second.state == "ready" && it->second.names == model.names) {
      return;
    }
  }
  ModelState state;
  state.digest = model.digest;
  state.names = model.names;
  state.state = "downloading";
  Set(state);

  auto last_time = options_.now();
  double last_progress = 0;
  bool verifying = false;
  auto progress = [&](uint64_t done, uint64_t total) {
    const uint64_t size = total > 0 ? total : model.size;
    if (size == 0 || verifying) return;
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(size));
    if (done >= size) {
      verifying = true;
      state.state = "verifying";
      state.progress = 1.0;
      Set(state);
      return;
    }
    const auto now = options_.now();
    if (now - last_time >= options_.progress_interval ||
        fraction - last_progress >= options_.progress_step - 1e-9) {
      last_time = now;
      last_progress = fraction;
      state.progress = fraction;
      Set(state);
    }
  };
  Result<std::string> path = host_.Fetch(model, progress, cancel);
  if (!path) {
    if (path.error().code() == StatusCode::kCancelled && IsCancelled(cancel)) return;
    state.state = "failed";
    state.reason = "download failed: " + path.error().message();
    Set(state);
    return;
  }
  if (!verifying) {
    state.state = "verifying";
    state.progress = 1.0;
    Set(state);
  }
  state.state = "loading";
  Set(state);
  const Status loaded = host_.Load(model, *path);
  if (!loaded.ok()) {
    state.state = loaded.code() == StatusCode::kResourceExhausted ? "does_not_fit" : "failed";
    state.reason = loaded.message();
    Set(state);
    return;
  }
  state.state = "ready";
  state.reason.clear();
  Set(state);
}

}  // namespace locai::node::agent
