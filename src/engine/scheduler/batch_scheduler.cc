#include "engine/scheduler/batch_scheduler.h"

#include <algorithm>
#include <chrono>

#include "engine/sampling/json_prefix_validator.h"
#include "engine/sampling/json_token_mask.h"
#include "engine/sampling/sampler.h"
#include "engine/sampling/stop_matcher.h"
#include "engine/tokenizer/streaming_detokenizer.h"

namespace locai::engine {

namespace {
using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}
}  // namespace

class BatchScheduler::JsonMasker : public JsonTokenMasker {
 public:
  using JsonTokenMasker::JsonTokenMasker;
};

struct BatchScheduler::Pending {
  uint64_t id = 0;
  GenerationRequest request;
  std::shared_ptr<GenerationSink> sink;
  Sampler sampler;
  Clock::time_point submitted;
};

// A sequence slot of the context and the request generating in it (if any).
struct BatchScheduler::Slot {
  int32_t index = 0;
  std::vector<int32_t> cached;  // tokens whose K/V the context holds for this slot
  std::unique_ptr<Pending> job;  // null when free
  // Per-request state, valid while job is set:
  size_t prompt_done = 0;        // prompt tokens already in the cache
  int64_t cached_prompt = 0;
  int32_t generated = 0;
  int32_t last_token = -1;       // to feed in the next step
  bool first_token_sent = false;
  Clock::time_point admitted;
  Clock::time_point first_token_at;
  std::unique_ptr<StreamingDetokenizer> detok;
  std::unique_ptr<StopMatcher> stops;
  std::unique_ptr<JsonPrefixValidator> json;
};

BatchScheduler::BatchScheduler(std::shared_ptr<const Model> model,
                               std::shared_ptr<const Tokenizer> tokenizer,
                               const SchedulerOptions& options)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)), options_(options) {}

Result<std::unique_ptr<BatchScheduler>> BatchScheduler::Create(
    std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
    const SchedulerOptions& options) {
  if (model == nullptr || tokenizer == nullptr) return Err(Status::InvalidArgument("no model"));
  if (options.n_parallel <= 0 || options.max_queue < 0 || options.max_batch_tokens <= 0) {
    return Err(Status::InvalidArgument("n_parallel and max_batch_tokens must be positive"));
  }
  auto scheduler = std::unique_ptr<BatchScheduler>(new BatchScheduler(model, tokenizer, options));
  ContextOptions co;
  co.context_length = std::min(options.context_length, model->context_length());
  co.n_sequences = options.n_parallel;
  co.n_threads = options.n_threads;
  co.max_batch = options.max_batch_tokens;
  LOCAI_ASSIGN_OR_RETURN(scheduler->ctx_, InferenceContext::Create(model, co));
  scheduler->options_.context_length = co.context_length;
  for (int32_t i = 0; i < options.n_parallel; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->index = i;
    scheduler->slots_.push_back(std::move(slot));
  }
  scheduler->thread_ = std::thread([s = scheduler.get()] { s->Loop(); });
  return scheduler;
}

BatchScheduler::~BatchScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // The engine thread has exited: finish what is left, in this thread.
  for (auto& slot : slots_) {
    if (slot->job) Finish(*slot, FinishReason::kCancelled);
  }
  for (auto& pending : queue_) {
    GenerationSummary summary;
    summary.finish = FinishReason::kCancelled;
    summary.prompt_tokens = static_cast<int64_t>(pending->request.prompt.size());
    pending->sink->OnFinish(summary);
  }
}

Result<uint64_t> BatchScheduler::Submit(GenerationRequest request,
                                        std::shared_ptr<GenerationSink> sink) {
  const int64_t n_vocab = model_->config().n_vocab;
  if (request.prompt.empty()) return Err(Status::InvalidArgument("the prompt is empty"));
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= n_vocab) {
      return Err(Status::InvalidArgument("token id " + std::to_string(id) +
                                         " is outside the vocabulary of " + std::to_string(n_vocab)));
    }
  }
  if (static_cast<int64_t>(request.prompt.size()) >= options_.context_length) {
    return Err(Status::InvalidArgument(
        "the prompt has " + std::to_string(request.prompt.size()) +
        " tokens, which leaves no room in the context of " +
        std::to_string(options_.context_length) + " tokens"));
  }
  if (request.max_tokens < 0) return Err(Status::InvalidArgument("max_tokens must not be negative"));
  LOCAI_ASSIGN_OR_RETURN(Sampler sampler,
                         Sampler::Create(request.sampling, static_cast<int32_t>(n_vocab)));
  auto pending = std::make_unique<Pending>(
      Pending{0, std::move(request), std::move(sink), std::move(sampler), Clock::now()});
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int32_t free_slots = options_.n_parallel - running_;
    if (static_cast<int32_t>(queue_.size()) >= options_.max_queue + std::max(0, free_slots)) {
      return Err(Status::ResourceExhausted("the queue is full (" + std::to_string(queue_.size()) +
                                           " requests waiting)"));
    }
    id = next_id_++;
    pending->id = id;
    queue_.push_back(std::move(pending));
  }
  wake_.notify_all();
  return id;
}

void BatchScheduler::Cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.insert(id);
  }
  wake_.notify_all();
}

SchedulerStats BatchScheduler::Stats() const {
  SchedulerStats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats.running = running_;
    stats.queued = static_cast<int32_t>(queue_.size());
  }
  stats.prompt_tokens = prompt_tokens_.load();
  stats.generated_tokens = generated_tokens_.load();
  stats.requests_finished = finished_.load();
  return stats;
}

void BatchScheduler::Finish(Slot& slot, FinishReason reason, Status error) {
  if (!slot.job) return;
  // Text held back for a possible stop string is real output when the request ends otherwise.
  if (error.ok() && reason != FinishReason::kCancelled && slot.stops && !slot.stops->stopped()) {
    auto tail = slot.stops->Push(slot.detok->Flush());
    TokenOutput out;
    out.text = tail.text + (tail.stopped ? "" : slot.stops->Flush());
    if (tail.stopped) reason = FinishReason::kStop;
    if (!out.text.empty()) slot.job->sink->OnToken(out);
  }
  GenerationSummary summary;
  summary.finish = reason;
  summary.error = std::move(error);
  summary.prompt_tokens = static_cast<int64_t>(slot.job->request.prompt.size());
  summary.cached_prompt_tokens = slot.cached_prompt;
  summary.completion_tokens = slot.generated;
  const auto now = Clock::now();
  summary.queue_seconds = Seconds(slot.job->submitted, slot.admitted);
  summary.first_token_seconds =
      slot.first_token_sent ? Seconds(slot.job->submitted, slot.first_token_at) : 0.0;
  summary.total_seconds = Seconds(slot.job->submitted, now);
  auto sink = std::move(slot.job->sink);
  slot.job.reset();
  slot.detok.reset();
  slot.stops.reset();
  slot.json.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  finished_.fetch_add(1);
  sink->OnFinish(summary);
}

void BatchScheduler::Admit(std::deque<std::unique_ptr<Pending>>& admitted) {
  for (auto& pending : admitted) {
    // The free slot whose cache shares the longest prefix with this prompt.
    Slot* best = nullptr;
    size_t best_common = 0;
    for (auto& slot : slots_) {
      if (slot->job) continue;
      const auto& prompt = pending->request.prompt;
      size_t common = 0;
      const size_t limit = std::min(slot->cached.size(), prompt.size() - 1);
      while (common < limit && slot->cached[common] == prompt[common]) ++common;
      if (best == nullptr || common > best_common) {
        best = slot.get();
        best_common = common;
      }
    }
    Slot& slot = *best;  // Loop() admits no more than there are free slots
    ctx_->TruncateSequence(slot.index, static_cast<int64_t>(best_common));
    slot.cached.resize(best_common);
    slot.prompt_done = best_common;
    slot.cached_prompt = static_cast<int64_t>(best_common);
    slot.generated = 0;
    slot.last_token = -1;
    slot.first_token_sent = false;
    slot.admitted = Clock::now();
    slot.detok = std::make_unique<StreamingDetokenizer>(*tokenizer_, /*starts_text=*/true);
    slot.stops = std::make_unique<StopMatcher>(pending->request.stop);
    if (pending->request.json_mode) slot.json = std::make_unique<JsonPrefixValidator>();
    pending->sampler.AcceptPrompt(pending->request.prompt);
    slot.job = std::move(pending);
  }
}

void BatchScheduler::Loop() {
  while (true) {
    std::deque<std::unique_ptr<Pending>> admitted;
    std::unordered_set<uint64_t> cancelled;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty() || running_ > 0; });
      if (stop_) return;
      cancelled.swap(cancelled_);
      // Cancelled requests still in the queue leave it now.
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (cancelled.count((*it)->id) != 0) {
          admitted.push_back(std::move(*it));  // finished below, outside the lock
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      while (!queue_.empty() && running_ < options_.n_parallel) {
        admitted.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++running_;
      }
    }
    // Split out the cancelled-in-queue ones (they took no slot).
    std::deque<std::unique_ptr<Pending>> to_admit;
    for (auto& p : admitted) {
      if (cancelled.count(p->id) != 0) {
        GenerationSummary summary;
        summary.finish = FinishReason::kCancelled;
        summary.prompt_tokens = static_cast<int64_t>(p->request.prompt.size());
        finished_.fetch_add(1);
        p->sink->OnFinish(summary);
      } else {
        to_admit.push_back(std::move(p));
      }
    }
    for (auto& slot : slots_) {
      if (slot->job && cancelled.count(slot->job->id) != 0) Finish(*slot, FinishReason::kCancelled);
    }
    Admit(to_admit);
    Step();
  }
}

bool BatchScheduler::Step() {
  std::vector<BatchEntry> batch;
  std::vector<Slot*> output_slots;
  int64_t budget = options_.max_batch_tokens;
  // Generating sequences first: one token each keeps their latency flat.
  for (auto& slot : slots_) {
    if (!slot->job || slot->prompt_done < slot->job->request.prompt.size()) continue;
    batch.push_back({slot->last_token, slot->index, true});
    slot->cached.push_back(slot->last_token);
    output_slots.push_back(slot.get());
    --budget;
  }
  // Then prompt chunks, with what the budget leaves (at least one token each to make progress).
  for (auto& slot : slots_) {
    if (!slot->job) continue;
    const auto& prompt = slot->job->request.prompt;
    if (slot->prompt_done >= prompt.size()) continue;
    const size_t take = std::min(prompt.size() - slot->prompt_done,
                                 static_cast<size_t>(std::max<int64_t>(budget, 1)));
    for (size_t i = 0; i < take; ++i) {
      const size_t pos = slot->prompt_done + i;
      const bool last = pos + 1 == prompt.size();
      batch.push_back({prompt[pos], slot->index, last});
      slot->cached.push_back(prompt[pos]);
      if (last) output_slots.push_back(slot.get());
    }
    slot->prompt_done += take;
    prompt_tokens_.fetch_add(take);
    budget -= static_cast<int64_t>(take);
  }
  if (batch.empty()) return false;
  Status status = ctx_->Decode(batch);
  if (!status.ok()) {
    for (auto& slot : slots_) {
      if (slot->job) {
        ctx_->TruncateSequence(slot->index, 0);
        slot->cached.clear();
        Finish(*slot, FinishReason::kStop, status);
      }
    }
    return false;
  }
  // Outputs come back in batch order, which is output_slots' order.
  for (size_t k = 0; k < output_slots.size(); ++k) SampleSlot(*output_slots[k], ctx_->Logits(k));
  return true;
}

void BatchScheduler::SampleSlot(Slot& slot, std::span<const float> logits) {
  const GenerationRequest& request = slot.job->request;
  if (request.max_tokens == 0) {
    Finish(slot, FinishReason::kLength);
    return;
  }
  std::span<const float> to_sample = logits;
  if (slot.json) {
    if (!json_masker_) {
      token_pieces_.resize(static_cast<size_t>(tokenizer_->n_vocab()));
      for (int32_t id = 0; id < tokenizer_->n_vocab(); ++id) {
        if (!tokenizer_->IsControl(id)) token_pieces_[static_cast<size_t>(id)] = tokenizer_->TokenToPiece(id);
        if (tokenizer_->IsEndOfGeneration(id)) end_of_generation_ids_.push_back(id);
      }
      json_masker_ = std::make_unique<JsonMasker>(token_pieces_);
    }
    masked_logits_.assign(logits.begin(), logits.end());
    // Any end-of-generation token (EOS, or EOT such as <|eot_id|>) may end a complete object.
    json_masker_->Mask(*slot.json, masked_logits_, std::span<const int32_t>(end_of_generation_ids_));
    to_sample = masked_logits_;
  }
  SampledToken sampled;
  slot.job->sampler.Sample(to_sample, sampled);
  const int32_t token = sampled.id;
  if (token < 0 || (!request.ignore_eos && tokenizer_->IsEndOfGeneration(token))) {
    Finish(slot, FinishReason::kStop);
    return;
  }
  slot.job->sampler.Accept(token);
  if (slot.json) slot.json->Advance(tokenizer_->TokenToPiece(token));
  ++slot.generated;
  generated_tokens_.fetch_add(1);
  slot.last_token = token;
  if (!slot.first_token_sent) {
    slot.first_token_sent = true;
    slot.first_token_at = Clock::now();
  }
  auto stop_out = slot.stops->Push(slot.detok->Push(token));
  TokenOutput out;
  out.text = std::move(stop_out.text);
  out.token = token;
  out.logprob = sampled.logprob;
  if (request.sampling.top_logprobs > 0) out.top = sampled.top;
  slot.job->sink->OnToken(out);
  if (stop_out.stopped) {
    Finish(slot, FinishReason::kStop);
  } else if (slot.generated >= request.max_tokens ||
             static_cast<int64_t>(slot.cached.size()) + 1 >= options_.context_length) {
    Finish(slot, FinishReason::kLength);
  }
}

}  // namespace locai::engine
