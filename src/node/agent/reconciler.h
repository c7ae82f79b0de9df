// Reconciler: brings the models on this node to the control plane's desired list, the state
// machine of docs/control-plane.md (Fleet link, desired_models), apart from any socket.
//
// Apply(desired) first removes what is no longer desired (removing -> removed: unload, take out of
// the node's directory, delete the file), then for each desired model not yet ready: downloading
// (progress) -> verifying -> loading -> ready, or failed / does_not_fit with a reason. Each state
// change goes to the StateSink; download progress at most every `progress_interval` or
// `progress_step`, whichever comes first. A model that failed is tried again on the next Apply.
// Blobs on disk that no desired model uses are deleted at the end. The work itself is done by a
// ModelHost (the real one over BlobPuller and ModelManager, a fake in tests).
// Thread-safety: Apply() from one thread at a time (the agent's reconcile thread); States() from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/agent/blob_puller.h"
#include "node/agent/fleet_messages.h"

namespace locai::node::agent {

// What the reconciler does to the node.
class ModelHost {
 public:
  virtual ~ModelHost() = default;
  // Makes the model's blob present and verified (downloading it if needed; a stored one is
  // re-hashed, and pulled again when corrupted); returns its path.
  virtual Result<std::string> Fetch(const DesiredModel& model, const PullProgress& progress,
                                    const std::atomic<bool>* cancel) = 0;
  // Registers the file under the model's names (replacing an earlier registration) and loads it,
  // so that `ready` means a request can use it. ResourceExhausted when it does not fit.
  virtual Status Load(const DesiredModel& model, const std::string& path) = 0;
  // Unloads and unregisters the model and deletes its blob (absent parts are fine).
  virtual Status Remove(const std::string& digest) = 0;
  // Digests of the blobs stored on the node.
  virtual std::vector<std::string> StoredDigests() = 0;
};

using StateSink = std::function<void(const ModelState& state)>;

struct ReconcilerOptions {
  std::chrono::milliseconds progress_interval{1000};
  double progress_step = 0.05;
  std::function<std::chrono::steady_clock::time_point()> now;  // empty: steady_clock
};

class Reconciler {
 public:
  Reconciler(ModelHost& host, StateSink sink, ReconcilerOptions options = {});

  // Reconciles to `desired` (blocking). Stops early, leaving models in their current state, when
  // `cancel` becomes true (a newer list arrived or the agent stops); a later Apply resumes (a
  // partial download continues where it stopped).
  void Apply(const std::vector<DesiredModel>& desired, const std::atomic<bool>* cancel = nullptr);

  // The models the node holds or is working on, by digest (removed ones are gone).
  std::vector<ModelState> States() const;

 private:
  void Set(ModelState state);
  void Reconcile(const DesiredModel& model, const std::atomic<bool>* cancel);

  ModelHost& host_;
  StateSink sink_;
  ReconcilerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, ModelState> states_;  // guarded by mu_, by digest
};

}  // namespace locai::node::agent
