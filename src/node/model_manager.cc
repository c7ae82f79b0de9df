#include "node/model_manager.h"

#include <cmath>
#include <utility>

#include "node/memory.h"

namespace locai::node {
namespace {

int64_t Ticks(SteadyClock::time_point t) { return t.time_since_epoch().count(); }

}  // namespace

LoadedModel::LoadedModel(std::string id, std::shared_ptr<const engine::Model> model,
                         std::shared_ptr<const engine::Tokenizer> tokenizer,
                         std::unique_ptr<engine::BatchScheduler> scheduler,
                         std::string chat_template, engine::MemoryEstimate estimate,
                         int32_t n_threads)
    : id_(std::move(id)),
      model_(std::move(model)),
      tokenizer_(std::move(tokenizer)),
      chat_template_(std::move(chat_template)),
      estimate_(estimate),
      n_threads_(n_threads),
      scheduler_(std::move(scheduler)) {}

LoadedModel::~LoadedModel() {
  // Requests still running finish (cancelled) while the rest of this object is intact.
  scheduler_.reset();
}

Result<std::vector<float>> LoadedModel::Embed(std::span<const int32_t> tokens) {
  if (tokens.empty()) return Err(Status::InvalidArgument("input is empty"));
  std::lock_guard<std::mutex> lock(embed_mu_);
  const int64_t context = context_length();
  if (static_cast<int64_t>(tokens.size()) > context) {
    return Err(Status::InvalidArgument(
        "input has " + std::to_string(tokens.size()) + " tokens, more than the context length " +
        std::to_string(context)));
  }
  if (!embed_ctx_) {
    engine::ContextOptions options;
    options.context_length = context;
    options.n_sequences = 1;
    options.n_threads = n_threads_;
    options.embeddings = true;
    options.logits = false;
    LOCAI_ASSIGN_OR_RETURN(embed_ctx_, engine::InferenceContext::Create(model_, options));
  }
  embed_ctx_->TruncateSequence(0, 0);
  std::vector<engine::BatchEntry> batch;
  batch.reserve(tokens.size());
  for (int32_t token : tokens) batch.push_back(engine::BatchEntry{token, 0, true});
  const Status status = embed_ctx_->Decode(batch);
  embed_ctx_->TruncateSequence(0, 0);
  LOCAI_RETURN_IF_ERROR(status);
  const size_t n_embd = static_cast<size_t>(model_->config().n_embd);
  std::vector<double> sum(n_embd, 0.0);
  for (size_t i = 0; i < embed_ctx_->num_outputs(); ++i) {
    auto row = embed_ctx_->Embedding(i);
    for (size_t d = 0; d < n_embd && d < row.size(); ++d) sum[d] += row[d];
  }
  double norm = 0.0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  std::vector<float> out(n_embd, 0.0f);
  if (norm > 0.0) {
    for (size_t d = 0; d < n_embd; ++d) out[d] = static_cast<float>(sum[d] / norm);
  }
  return out;
}

ModelLease::ModelLease(LoadedModel* model) : model_(model) {
  if (model_) model_->active_.fetch_add(1);
}

ModelLease& ModelLease::operator=(ModelLease&& other) noexcept {
  if (this != &other) {
    Release();
    model_ = other.model_;
    other.model_ = nullptr;
  }
  return *this;
}

void ModelLease::Release() {
  if (!model_) return;
  // The use time first, so that UnloadIdle never sees active 0 with a stale time.
  model_->last_used_ns_.store(Ticks(model_->now_()));
  model_->active_.fetch_sub(1);
  model_ = nullptr;
}

ModelManager::ModelManager(ModelDirectory directory, ModelManagerOptions options)
    : options_(std::move(options)),
      directory_(std::make_shared<const ModelDirectory>(std::move(directory))) {
  if (!options_.now) options_.now = [] { return SteadyClock::now(); };
  if (!options_.available_memory) options_.available_memory = [] { return ReadMemAvailable(); };
  // Runs even with a negative keep-alive: models removed while leased are unloaded by it.
  if (options_.background_unload) {
    unload_thread_ = std::thread([this] { UnloadLoop(); });
  }
}

ModelManager::~ModelManager() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (unload_thread_.joinable()) unload_thread_.join();
  std::map<std::string, Slot, std::less<>> slots;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A load in progress finishes first (it runs on a caller's thread).
    loaded_cv_.wait(lock, [&] {
      for (const auto& [id, slot] : slots_) {
        if (slot.attempt) return false;
      }
      return true;
    });
    slots.swap(slots_);
  }
  slots.clear();  // outside the lock: schedulers' sinks may release leases
}

void ModelManager::UnloadLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    UnloadIdle();
    lock.lock();
  }
}

uint64_t ModelManager::CommittedBytes() const {
  uint64_t total = 0;
  for (const auto& [id, slot] : slots_) {
    if (slot.model) total += slot.model->estimate().total();
  }
  return total;
}

Result<ModelLease> ModelManager::Acquire(std::string_view name) {
  std::unique_lock<std::mutex> lock(mu_);
  const ModelFile* found = directory_->Find(name);
  if (found == nullptr) {
    return Err(Status::NotFound("The model '" + std::string(name) + "' does not exist"));
  }
  // A copy: the directory may be replaced while this caller loads.
  const ModelFile file_copy = *found;
  const ModelFile* file = &file_copy;
  while (true) {
    if (stopping_) return Err(Status::Unavailable("the node is shutting down"));
    auto it = slots_.find(file->id);
    if (it == slots_.end()) break;
    if (it->second.model) {
      it->second.model->last_used_ns_.store(Ticks(options_.now()));
      return ModelLease(it->second.model.get());
    }
    std::shared_ptr<LoadAttempt> attempt = it->second.attempt;
    loaded_cv_.wait(lock, [&] { return attempt->done; });
    if (!attempt->status.ok()) return Err(attempt->status);
  }
  // This caller loads; others wait on the attempt.
  auto attempt = std::make_shared<LoadAttempt>();
  slots_[file->id].attempt = attempt;
  lock.unlock();
  Result<std::unique_ptr<LoadedModel>> loaded = Load(*file);
  lock.lock();
  attempt->done = true;
  auto it = slots_.find(file->id);
  if (!loaded) {
    attempt->status = loaded.error();
    slots_.erase(it);
    loaded_cv_.notify_all();
    return Err(loaded.error());
  }
  it->second.attempt.reset();
  it->second.model = std::move(*loaded);
  LoadedModel* model = it->second.model.get();
  model->last_used_ns_.store(Ticks(options_.now()));
  ModelLease lease(model);
  loaded_cv_.notify_all();
  return lease;
}

Result<std::unique_ptr<LoadedModel>> ModelManager::Load(const ModelFile& file) {
  LOCAI_ASSIGN_OR_RETURN(std::shared_ptr<const engine::Model> model,
                         engine::Model::Load(file.path));
  const int32_t n_parallel = file.n_parallel > 0 ? file.n_parallel : options_.n_parallel;
  int64_t context = file.context_length > 0 ? file.context_length : options_.context_length;
  if (model->context_length() > 0 && model->context_length() < context) {
    context = model->context_length();
  }
  const engine::MemoryEstimate estimate =
      model->EstimateMemory(context, n_parallel, options_.max_batch_tokens);
  uint64_t available = 0;
  if (options_.memory_limit) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t committed = CommittedBytes();
    available = *options_.memory_limit > committed ? *options_.memory_limit - committed : 0;
  } else if (auto free_bytes = options_.available_memory()) {
    available = *free_bytes;
  } else {
    available = UINT64_MAX;  // unknown: do not refuse
  }
  LOCAI_RETURN_IF_ERROR(CheckFits(file.id, estimate, context, n_parallel, available));

  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<engine::Tokenizer> tokenizer_owned,
                         engine::Tokenizer::FromGguf(model->file()));
  std::shared_ptr<const engine::Tokenizer> tokenizer(std::move(tokenizer_owned));
  std::string chat_template;
  if (const auto* value = model->file().Find("tokenizer.chat_template")) {
    if (auto text = value->AsString()) chat_template = std::string(*text);
  }
  engine::SchedulerOptions scheduler_options;
  scheduler_options.n_parallel = n_parallel;
  scheduler_options.context_length = context;
  scheduler_options.max_queue = options_.max_queue;
  scheduler_options.n_threads = options_.n_threads;
  scheduler_options.max_batch_tokens = options_.max_batch_tokens;
  LOCAI_ASSIGN_OR_RETURN(std::unique_ptr<engine::BatchScheduler> scheduler,
                         engine::BatchScheduler::Create(model, tokenizer, scheduler_options));
  auto loaded = std::make_unique<LoadedModel>(file.id, std::move(model), std::move(tokenizer),
                                              std::move(scheduler), std::move(chat_template),
                                              estimate, options_.n_threads);
  loaded->now_ = options_.now;
  return loaded;
}

size_t ModelManager::UnloadIdle() {
  std::vector<std::unique_ptr<LoadedModel>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = Ticks(options_.now());
    const bool expires = options_.keep_alive_seconds >= 0;
    const int64_t keep = std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::seconds(expires ? options_.keep_alive_seconds : 0))
                             .count();
    for (auto it = slots_.begin(); it != slots_.end();) {
      LoadedModel* model = it->second.model.get();
      const bool removed = directory_->FindById(it->first) == nullptr;
      if (model && model->active() == 0 &&
          (removed || (expires && now - model->last_used_ns_.load() >= keep))) {
        idle.push_back(std::move(it->second.model));
        it = slots_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return idle.size();  // destroyed here, outside the lock
}

Status ModelManager::AddModel(ModelFile file, const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<ModelDirectory>(*directory_);
  LOCAI_RETURN_IF_ERROR(next->Add(std::move(file), names));
  directory_ = std::move(next);
  return Status::Ok();
}

Status ModelManager::RemoveModel(std::string_view id) {
  std::unique_ptr<LoadedModel> unloaded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto next = std::make_shared<ModelDirectory>(*directory_);
    LOCAI_RETURN_IF_ERROR(next->Remove(id));
    directory_ = std::move(next);
    auto it = slots_.find(id);
    if (it != slots_.end() && it->second.model && it->second.model->active() == 0) {
      unloaded = std::move(it->second.model);
      slots_.erase(it);
    }
  }
  return Status::Ok();  // `unloaded` is destroyed here, outside the lock
}

std::shared_ptr<const ModelDirectory> ModelManager::directory() const {
  std::lock_guard<std::mutex> lock(mu_);
  return directory_;
}

std::vector<ModelStatus> ModelManager::Snapshot() const {
  std::vector<ModelStatus> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, slot] : slots_) {
    ModelStatus status;
    status.id = id;
    status.loading = slot.model == nullptr;
    if (slot.model) {
      status.active = slot.model->active();
      status.stats = slot.model->scheduler_->Stats();
      status.max_queue = slot.model->scheduler_->options().max_queue;
      status.n_parallel = slot.model->scheduler_->options().n_parallel;
      status.memory_bytes = slot.model->estimate().total();
    }
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace locai::node
