#include "node/generation_sink.h"

#include "api/common/sse.h"
#include "node/prompt.h"

namespace locai::node {
namespace {

net::HttpHeaders StreamHeaders(std::string_view request_id) {
  net::HttpHeaders headers;
  headers.Set("Content-Type", "text/event-stream");
  headers.Set("Cache-Control", "no-cache");
  headers.Set("x-request-id", std::string(request_id));
  MarkServedLocally(headers);
  return headers;
}

}  // namespace

RequestSink::RequestSink(NodeContext& ctx, std::shared_ptr<net::ResponseWriter> writer,
                         ModelLease lease, const api::GenerationRequest& request,
                         api::ResponseMeta meta, int64_t prompt_tokens, RequestLogEntry log)
    : ctx_(ctx),
      writer_(std::move(writer)),
      tokenizer_(lease->tokenizer()),
      kind_(request.api),
      style_(request.api == api::ApiKind::kAnthropicMessages ? ApiStyle::kAnthropic
                                                             : ApiStyle::kOpenAi),
      stream_(request.stream),
      logprobs_(request.logprobs),
      stops_(request.stop),
      meta_(meta),
      prompt_tokens_(prompt_tokens),
      lease_(std::move(lease)),
      log_(std::move(log)),
      chat_stream_(meta, request.include_usage, request.logprobs),
      completion_stream_(meta, request.include_usage, request.logprobs),
      message_stream_(meta) {}

Status RequestSink::Submit(engine::GenerationRequest request) {
  std::lock_guard<std::mutex> lock(mu_);
  // The engine thread may call OnToken as soon as Submit returns; it waits on mu_ until the
  // stream's head is written below.
  auto id = lease_->scheduler().Submit(std::move(request), shared_from_this());
  if (!id) return id.error();
  id_ = *id;
  submitted_ = true;
  if (stream_) WriteStreamStart();
  if (client_closed_) lease_->scheduler().Cancel(id_);
  return Status::Ok();
}

void RequestSink::OnClientClosed() {
  std::lock_guard<std::mutex> lock(mu_);
  client_closed_ = true;
  // While not finished the lease pins the model, so the scheduler is alive.
  if (submitted_ && !finished_) lease_->scheduler().Cancel(id_);
}

void RequestSink::WriteStreamStart() {
  // The head goes out at once (the status is decided); the first event waits for the first
  // token, so that a client that has it knows its request holds a sequence slot.
  writer_->StartStream(200, StreamHeaders(log_.request_id));
}

void RequestSink::WriteFirstEvents() {
  if (first_events_written_) return;
  first_events_written_ = true;
  switch (kind_) {
    case api::ApiKind::kOpenAiChat:
      writer_->Write(chat_stream_.Start());
      break;
    case api::ApiKind::kOpenAiCompletion:
      break;  // completions streams start with the first text chunk
    case api::ApiKind::kAnthropicMessages:
      writer_->Write(message_stream_.Start(prompt_tokens_));
      break;
  }
}

api::TokenLogprob RequestSink::MakeLogprob(const engine::TokenOutput& output) const {
  api::TokenLogprob lp;
  lp.token = tokenizer_->TokenToPiece(output.token);
  lp.logprob = output.logprob;
  for (const auto& [id, logprob] : output.top) {
    lp.top.push_back(api::TopLogprob{tokenizer_->TokenToPiece(id), logprob});
  }
  return lp;
}

void RequestSink::WriteDelta(const std::string& text) {
  switch (kind_) {
    case api::ApiKind::kOpenAiChat:
      writer_->Write(chat_stream_.Delta(text, logprobs_pending_));
      break;
    case api::ApiKind::kOpenAiCompletion:
      writer_->Write(completion_stream_.Delta(text, logprobs_pending_));
      break;
    case api::ApiKind::kAnthropicMessages:
      writer_->Write(message_stream_.Delta(text));
      break;
  }
  logprobs_pending_.clear();
}

void RequestSink::OnToken(const engine::TokenOutput& output) {
  std::lock_guard<std::mutex> lock(mu_);
  if (output.token >= 0) {
    const auto now = Clock::now();
    if (last_token_at_) {
      ctx_.metrics.ObserveInterTokenLatency(
          std::chrono::duration<double>(now - *last_token_at_).count());
    }
    last_token_at_ = now;
    raw_ += tokenizer_->TokenToPiece(output.token);
    if (logprobs_) {
      api::TokenLogprob lp = MakeLogprob(output);
      if (stream_) {
        logprobs_pending_.push_back(lp);
      } else {
        logprobs_all_.push_back(std::move(lp));
      }
    }
  }
  text_ += output.text;
  if (stream_ && !client_closed_) {
    WriteFirstEvents();
    if (!output.text.empty()) WriteDelta(output.text);
  }
}

void RequestSink::OnFinish(const engine::GenerationSummary& summary) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
  api::GenerationResult result;
  result.text = text_;
  result.usage.prompt_tokens = summary.prompt_tokens;
  result.usage.completion_tokens = summary.completion_tokens;
  result.logprobs = std::move(logprobs_all_);
  if (summary.finish == engine::FinishReason::kLength) {
    result.finish_reason = api::FinishReason::kLength;
  } else {
    result.stop_sequence = MatchedStopSequence(stops_, text_, raw_);
    result.finish_reason =
        result.stop_sequence.empty() ? api::FinishReason::kStop : api::FinishReason::kStopSequence;
  }

  int status = 200;
  std::optional<api::ApiError> error;
  if (!summary.error.ok()) {
    error = ErrorFromStatus(style_, summary.error);
  } else if (summary.finish == engine::FinishReason::kCancelled) {
    error = ErrorFromStatus(style_, Status::Unavailable("the request was cancelled"));
  }
  if (client_closed_) {
    status = 499;  // nginx's "client closed request", for logs and metrics only
  } else if (!stream_ && error) {
    status = error->http_status;
  }
  // Metrics and the log line first, so that they are complete once the client has the answer.
  ctx_.metrics.CountRequest(log_.endpoint, status);
  ctx_.metrics.CountTokens(summary.prompt_tokens - summary.cached_prompt_tokens,
                           summary.completion_tokens);
  if (summary.completion_tokens > 0) {
    ctx_.metrics.ObserveTimeToFirstToken(summary.first_token_seconds);
  }
  log_.status = status;
  log_.prompt_tokens = summary.prompt_tokens;
  log_.completion_tokens = summary.completion_tokens;
  log_.cached_tokens = summary.cached_prompt_tokens;
  log_.queue_ms = summary.queue_seconds * 1000.0;
  log_.ttft_ms = summary.first_token_seconds * 1000.0;
  log_.total_ms = summary.total_seconds * 1000.0;
  log_.finish_reason = summary.finish == engine::FinishReason::kCancelled
                           ? "cancelled"
                           : std::string(api::OpenAiFinishReason(result.finish_reason));
  if (error) log_.error = error->message;
  if (ctx_.options.log_prompts) log_.output = text_;
  ctx_.logger.Request(log_);
  if (client_closed_) {
    // Nothing to write.
  } else if (stream_) {
    WriteFirstEvents();
    if (error) {
      switch (kind_) {
        case api::ApiKind::kOpenAiChat: writer_->Write(chat_stream_.Error(*error)); break;
        case api::ApiKind::kOpenAiCompletion: writer_->Write(completion_stream_.Error(*error)); break;
        case api::ApiKind::kAnthropicMessages: writer_->Write(message_stream_.Error(*error)); break;
      }
    } else {
      if (!logprobs_pending_.empty()) WriteDelta("");
      switch (kind_) {
        case api::ApiKind::kOpenAiChat:
          writer_->Write(chat_stream_.Finish(result.finish_reason, result.usage));
          break;
        case api::ApiKind::kOpenAiCompletion:
          writer_->Write(completion_stream_.Finish(result.finish_reason, result.usage));
          break;
        case api::ApiKind::kAnthropicMessages:
          writer_->Write(message_stream_.Finish(result.finish_reason, result.stop_sequence,
                                                result.usage));
          break;
      }
    }
    writer_->End();
  } else if (error) {
    net::HttpResponse response =
        ErrorResponse(style_, *error, log_.request_id, ctx_.options.retry_after_seconds);
    MarkServedLocally(response.headers);
    writer_->Send(std::move(response));
  } else {
    std::string body;
    switch (kind_) {
      case api::ApiKind::kOpenAiChat:
        body = api::openai::SerializeChatCompletion(meta_, result, logprobs_);
        break;
      case api::ApiKind::kOpenAiCompletion:
        body = api::openai::SerializeCompletion(meta_, result, logprobs_);
        break;
      case api::ApiKind::kAnthropicMessages:
        body = api::anthropic::SerializeMessage(meta_, result);
        break;
    }
    net::HttpResponse response = JsonResponse(200, std::move(body), log_.request_id);
    MarkServedLocally(response.headers);
    writer_->Send(std::move(response));
  }

  lease_.Release();
}

}  // namespace locai::node
