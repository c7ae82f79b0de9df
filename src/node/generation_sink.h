// RequestSink: one generation request between the engine and the client. It receives the
// scheduler's tokens on the engine thread and turns them into the API's response: SSE events
// written as they come (OpenAI chunks, Anthropic events), or one body at the end. On finish it
// records metrics, writes the request's log line and releases the model lease.
//
// Cancellation: OnClientClosed() (from the writer's OnClose, on an io thread) cancels the request
// in the scheduler at once; a close that races Submit() is caught by Submit().
// Thread-safety: Submit() from the request's worker thread, OnToken/OnFinish from the engine
// thread, OnClientClosed() from an io thread; a mutex serialises them (held only for non-blocking
// writer calls).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/anthropic/messages_response.h"
#include "api/common/generation.h"
#include "api/openai/chat_response.h"
#include "api/openai/completions.h"
#include "engine/scheduler/batch_scheduler.h"
#include "net/http/response_writer.h"
#include "node/api_style.h"
#include "node/model_manager.h"
#include "node/node_context.h"
#include "node/request_log.h"

namespace locai::node {

class RequestSink : public engine::GenerationSink,
                    public std::enable_shared_from_this<RequestSink> {
 public:
  // `request` is the parsed API request (its kind, stream flags, stop list); `log` has the
  // request id, endpoint and model filled in.
  RequestSink(NodeContext& ctx, std::shared_ptr<net::ResponseWriter> writer, ModelLease lease,
              const api::GenerationRequest& request, api::ResponseMeta meta,
              int64_t prompt_tokens, RequestLogEntry log);

  // Queues `request` in the lease's scheduler. On success a streamed response has started (its
  // head is written; its first events follow with the first token, once the request holds a
  // sequence slot). On failure nothing was written and the caller answers
  // with the error (ResourceExhausted when the queue is full).
  Status Submit(engine::GenerationRequest request);
  // The client went away: cancel the generation.
  void OnClientClosed();

  void OnToken(const engine::TokenOutput& output) override;
  void OnFinish(const engine::GenerationSummary& summary) override;

 private:
  using Clock = std::chrono::steady_clock;
  void WriteStreamStart();
  void WriteFirstEvents();  // OpenAI chat role delta; Anthropic message_start..ping
  void WriteDelta(const std::string& text);
  api::TokenLogprob MakeLogprob(const engine::TokenOutput& output) const;

  NodeContext& ctx_;
  const std::shared_ptr<net::ResponseWriter> writer_;
  const std::shared_ptr<const engine::Tokenizer> tokenizer_;
  const api::ApiKind kind_;
  const ApiStyle style_;
  const bool stream_;
  const bool logprobs_;
  const std::vector<std::string> stops_;
  const api::ResponseMeta meta_;
  const int64_t prompt_tokens_;

  std::mutex mu_;
  ModelLease lease_;              // guarded by mu_; released at finish
  RequestLogEntry log_;           // guarded by mu_
  bool submitted_ = false;        // guarded by mu_
  bool finished_ = false;         // guarded by mu_
  bool client_closed_ = false;    // guarded by mu_
  bool first_events_written_ = false;  // guarded by mu_
  uint64_t id_ = 0;               // guarded by mu_
  std::string text_;              // guarded by mu_: everything emitted
  std::string raw_;               // guarded by mu_: the generated tokens' pieces
  std::vector<api::TokenLogprob> logprobs_all_;      // guarded by mu_ (non-stream)
  std::vector<api::TokenLogprob> logprobs_pending_;  // guarded by mu_ (stream)
  std::optional<Clock::time_point> last_token_at_;   // guarded by mu_
  api::openai::ChatStreamWriter chat_stream_;
  api::openai::CompletionStreamWriter completion_stream_;  // guarded by mu_ (it counts offsets)
  api::anthropic::MessageStreamWriter message_stream_;
};

}  // namespace locai::node
