// BatchScheduler: continuous batching of concurrent generation requests over one model.
//
// One engine thread owns an InferenceContext with `n_parallel` sequence slots. Each step it admits
// queued requests into free slots, then runs one forward pass over a batch that holds the next
// token of every generating request plus chunks of the prompts being processed, so a new request
// joins the running batch at the next step instead of waiting for the others to finish. A free
// slot whose cached tokens share the longest prefix with a new prompt is chosen, and that prefix
// is not computed again (chat turns and shared system prompts).
//
// Results stream to a GenerationSink from the engine thread. Sinks must return quickly and never
// block (post to an I/O thread instead). Submit(), Cancel() and Stats() are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "engine/generate/generator.h"
#include "engine/model/inference_context.h"
#include "engine/sampling/sampling_params.h"
#include "engine/tokenizer/tokenizer.h"

namespace locai::engine {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  SamplingParams sampling;  // sampling.top_logprobs > 0 asks for alternatives with each token
  int32_t max_tokens = 256;
  std::vector<std::string> stop;
  bool json_mode = false;   // constrain the output to one valid JSON object
  bool ignore_eos = false;
};

struct TokenOutput {
  std::string text;  // text now safe to show (may be empty while a stop string might follow)
  int32_t token = -1;
  float logprob = 0.0f;                          // of the raw distribution
  std::vector<std::pair<int32_t, float>> top;    // when requested
};

struct GenerationSummary {
  FinishReason finish = FinishReason::kStop;
  Status error;                     // not OK when the request failed
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0; // of those, reused from a slot's cache
  int64_t completion_tokens = 0;
  double queue_seconds = 0.0;       // submit to admission
  double first_token_seconds = 0.0; // submit to the first generated token
  double total_seconds = 0.0;       // submit to finish
};

// Receives one request's results on the engine thread: OnToken for each generated token (in
// order), then exactly one OnFinish.
class GenerationSink {
 public:
  virtual ~GenerationSink() = default;
  virtual void OnToken(const TokenOutput& output) = 0;
  virtual void OnFinish(const GenerationSummary& summary) = 0;
};

struct SchedulerOptions {
  int32_t n_parallel = 4;           // sequences generated at once
  int64_t context_length = 4096;    // per sequence
  int32_t max_queue = 64;           // requests waiting for a slot
  int32_t n_threads = 0;            // kernel threads; 0: all hardware threads
  int64_t max_batch_tokens = 512;   // tokens per forward pass
};

struct SchedulerStats {
  int32_t running = 0;
  int32_t queued = 0;
  uint64_t prompt_tokens = 0;       // processed since start (cached prefixes excluded)
  uint64_t generated_tokens = 0;
  uint64_t requests_finished = 0;
};

class BatchScheduler {
 public:
  static Result<std::unique_ptr<BatchScheduler>> Create(std::shared_ptr<const Model> model,
                                                        std::shared_ptr<const Tokenizer> tokenizer,
                                                        const SchedulerOptions& options);
  // Stops the engine thread; requests still queued or running finish with kCancelled.
  ~BatchScheduler();
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Queues a request and returns its id. Errors, with nothing queued: InvalidArgument for an
  // empty prompt, token ids outside the vocabulary, a prompt that leaves no room in the context,
  // or bad sampling parameters; ResourceExhausted when the queue is full.
  Result<uint64_t> Submit(GenerationRequest request, std::shared_ptr<GenerationSink> sink);
  // Stops a request soon; its sink gets OnFinish with kCancelled. Unknown ids are ignored.
  void Cancel(uint64_t id);

  SchedulerStats Stats() const;
  const SchedulerOptions& options() const { return options_; }
  const Model& model() const { return *model_; }

 private:
  struct Pending;
  struct Slot;
  BatchScheduler(std::shared_ptr<const Model> model, std::shared_ptr<const Tokenizer> tokenizer,
                 const SchedulerOptions& options);
  void Loop();
  void Admit(std::deque<std::unique_ptr<Pending>>& admitted);
  bool Step();
  void SampleSlot(Slot& slot, std::span<const float> logits);
  void Finish(Slot& slot, FinishReason reason, Status error = Status::Ok());

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  SchedulerOptions options_;
  std::unique_ptr<InferenceContext> ctx_;  // engine thread only
  std::vector<std::unique_ptr<Slot>> slots_;  // engine thread only
  std::vector<std::string> token_pieces_;     // for JSON mode, built on first use
  class JsonMasker;
  std::unique_ptr<JsonMasker> json_masker_;
  std::vector<int32_t> end_of_generation_ids_;  // for JSON mode, with token_pieces_
  std::vector<float> masked_logits_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Pending>> queue_;  // guarded by mu_
  std::unordered_set<uint64_t> cancelled_;      // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  uint64_t next_id_ = 1;                        // guarded by mu_
  int32_t running_ = 0;                         // guarded by mu_
  std::atomic<uint64_t> prompt_tokens_{0};
  std::atomic<uint64_t> generated_tokens_{0};
  std::atomic<uint64_t> finished_{0};

  std::thread thread_;  // last: started after everything above is ready
};

}  // namespace locai::engine
