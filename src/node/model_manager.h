// ModelManager: loads the models of a ModelDirectory on demand, runs one BatchScheduler per loaded
// model, and unloads models that stay idle longer than the keep-alive.
//
// Acquire(name) returns a ModelLease: while a lease is held the model stays loaded. The first
// Acquire of a model loads it (memory-mapping the GGUF file, building the tokenizer, starting the
// scheduler) after checking that weights + KV cache for context x parallel sequences fit the
// memory available (MemAvailable, or the configured limit minus what loaded models take);
// concurrent Acquires of a model being loaded wait for that one load and share its outcome.
// UnloadIdle() (called by a background thread once a second, or by tests with an injected clock)
// destroys models with no lease whose last use is older than the keep-alive.
//
// The set of models can change at run time: AddModel() registers a file under names (the fleet
// agent's models pulled from the registry), RemoveModel() takes one out of the directory at once
// (no new Acquire finds it) and unloads it as soon as no lease holds it. directory() is an
// immutable snapshot, replaced on each change.
//
// Ownership: the manager owns every LoadedModel; a lease only pins one. A scheduler is destroyed
// only by the manager (UnloadIdle or the destructor), never on its own engine thread, so a lease
// may be released from a GenerationSink. The manager must outlive its leases' LoadedModel use,
// except that releasing a lease during the destructor (when the schedulers cancel their requests)
// is allowed.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "engine/model/inference_context.h"
#include "engine/model/model.h"
#include "engine/scheduler/batch_scheduler.h"
#include "engine/tokenizer/tokenizer.h"
#include "node/model_directory.h"

namespace locai::node {

using SteadyClock = std::chrono::steady_clock;

struct ModelManagerOptions {
  int32_t n_parallel = 4;
  int64_t context_length = 4096;  // per sequence; capped by the model's trained context
  int32_t max_queue = 64;
  int32_t n_threads = 0;  // kernel threads per model; 0: all hardware threads
  int64_t max_batch_tokens = 512;
  // Seconds a model stays loaded after its last request; 0 unloads as soon as it is idle,
  // negative never unloads.
  int64_t keep_alive_seconds = 300;
  // Bytes the node may use for models; nullopt: the machine's MemAvailable at load time.
  std::optional<uint64_t> memory_limit;
  // Seams for tests: the free memory (default ReadMemAvailable) and the clock (default steady).
  std::function<std::optional<uint64_t>()> available_memory;
  std::function<SteadyClock::time_point()> now;
  bool background_unload = true;  // run the once-a-second UnloadIdle thread
};

// A loaded model and its scheduler. Thread-safety: everything is immutable or thread-safe except
// Embed(), which serialises on its own mutex.
class LoadedModel {
 public:
  LoadedModel(std::string id, std::shared_ptr<const engine::Model> model,
              std::shared_ptr<const engine::Tokenizer> tokenizer,
              std::unique_ptr<engine::BatchScheduler> scheduler, std::string chat_template,
              engine::MemoryEstimate estimate, int32_t n_threads);
  ~LoadedModel();

  const std::string& id() const { return id_; }
  const engine::Model& model() const { return *model_; }
  const std::shared_ptr<const engine::Tokenizer>& tokenizer() const { return tokenizer_; }
  engine::BatchScheduler& scheduler() { return *scheduler_; }
  const std::string& chat_template() const { return chat_template_; }  // empty: ChatML
  int64_t context_length() const { return scheduler_->options().context_length; }
  const engine::MemoryEstimate& estimate() const { return estimate_; }

  // The mean of the final hidden states over `tokens`, L2-normalised (n_embd floats). Runs on the
  // calling thread, one call at a time per model. InvalidArgument for an empty input or one
  // longer than the context.
  Result<std::vector<float>> Embed(std::span<const int32_t> tokens);

  int32_t active() const { return active_.load(); }

 private:
  friend class ModelLease;
  friend class ModelManager;
  std::string id_;
  std::shared_ptr<const engine::Model> model_;
  std::shared_ptr<const engine::Tokenizer> tokenizer_;
  std::string chat_template_;
  engine::MemoryEstimate estimate_;
  int32_t n_threads_;
  std::atomic<int32_t> active_{0};
  std::atomic<int64_t> last_used_ns_{0};  // SteadyClock ticks since epoch
  std::function<SteadyClock::time_point()> now_;
  std::mutex embed_mu_;
  std::unique_ptr<engine::InferenceContext> embed_ctx_;  // guarded by embed_mu_, built lazily
  std::unique_ptr<engine::BatchScheduler> scheduler_;    // last: its requests end first
};

// Pins a LoadedModel while held. Move-only; releasing (destruction or Release()) may happen on
// any thread, including a scheduler's engine thread.
class ModelLease {
 public:
  ModelLease() = default;
  explicit ModelLease(LoadedModel* model);
  ~ModelLease() { Release(); }
  ModelLease(ModelLease&& other) noexcept : model_(other.model_) { other.model_ = nullptr; }
  ModelLease& operator=(ModelLease&& other) noexcept;
  ModelLease(const ModelLease&) = delete;
  ModelLease& operator=(const ModelLease&) = delete;

  LoadedModel* get() const { return model_; }
  LoadedModel* operator->() const { return model_; }
  explicit operator bool() const { return model_ != nullptr; }
  void Release();

 private:
  LoadedModel* model_ = nullptr;
};

struct ModelStatus {
  std::string id;
  bool loading = false;  // else loaded
  int32_t active = 0;    // leases held
  engine::SchedulerStats stats;
  int32_t max_queue = 0;
  int32_t n_parallel = 0;
  uint64_t memory_bytes = 0;  // the estimate it was admitted with
};

class ModelManager {
 public:
  ModelManager(ModelDirectory directory, ModelManagerOptions options);
  // Stops the unload thread and destroys every model (their pending requests finish cancelled).
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // The loaded model `name` (id, file name or alias), loading it first if needed (blocks while
  // loading). Errors: NotFound for a name not in the directory; ResourceExhausted (message from
  // CheckFits) when it does not fit; the load's error (InvalidArgument, DataLoss, ...) otherwise.
  Result<ModelLease> Acquire(std::string_view name);

  // Destroys idle models past the keep-alive, and models no longer in the directory that no lease
  // holds; returns how many were unloaded.
  size_t UnloadIdle();

  // Adds `file` to the directory under its id and `names`. Errors: those of ModelDirectory::Add
  // (AlreadyExists when the id or a name is taken).
  Status AddModel(ModelFile file, const std::vector<std::string>& names);
  // Removes the model with id `id` (not an alias) from the directory, so that no new Acquire finds
  // it; when it is loaded and no lease holds it, it is unloaded before this returns, otherwise by
  // UnloadIdle once the last lease is released. NotFound when no model has that id.
  Status RemoveModel(std::string_view id);

  // Loaded and loading models, by id.
  std::vector<ModelStatus> Snapshot() const;
  // The current set of models (an immutable snapshot; later changes make a new one).
  std::shared_ptr<const ModelDirectory> directory() const;
  const ModelManagerOptions& options() const { return options_; }

 private:
  struct LoadAttempt {
    bool done = false;
    locai::Status status;
  };
  struct Slot {
    std::unique_ptr<LoadedModel> model;        // set once loaded
    std::shared_ptr<LoadAttempt> attempt;      // set while loading
  };
  Result<std::unique_ptr<LoadedModel>> Load(const ModelFile& file);
  uint64_t CommittedBytes() const;  // estimates of loaded models; requires mu_
  void UnloadLoop();

  ModelManagerOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const ModelDirectory> directory_;  // guarded by mu_; replaced, never mutated
  std::condition_variable loaded_cv_;
  std::map<std::string, Slot, std::less<>> slots_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::condition_variable stop_cv_;
  std::thread unload_thread_;
};

}  // namespace locai::node
