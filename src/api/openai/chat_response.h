// Serialisation of chat completion results: the `chat.completion` body and the
// `chat.completion.chunk` SSE stream, in the shapes the official `openai` SDKs parse.
// Thread-safety: pure functions; a ChatStreamWriter is an immutable value (all methods const).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "api/common/api_error.h"
#include "api/common/generation.h"
#include "api/common/json_output.h"

namespace locai::api::openai {

// {"content":[{token, logprob, bytes, top_logprobs:[{token, logprob, bytes}]}], "refusal":null}
OrderedJson ChatLogprobsJson(std::span<const TokenLogprob> logprobs);

// {id, object:"chat.completion", created, model, system_fingerprint, choices:[{index:0,
//  message:{role:"assistant", content, refusal:null}, logprobs, finish_reason}],
//  usage:{prompt_tokens, completion_tokens, total_tokens}}. `logprobs` is null unless
// `include_logprobs`.
std::string SerializeChatCompletion(const ResponseMeta& meta, const GenerationResult& result,
                                    bool include_logprobs);

// Produces the SSE events of one streamed chat completion, in order:
//   Start()   the first chunk, delta {role:"assistant", content:"", refusal:null};
//   Delta()   one chunk per piece of text, delta {content};
//   Finish()  a chunk with an empty delta and finish_reason, then (include_usage) a chunk with
//             empty choices and usage, then "data: [DONE]".
// With include_usage every chunk carries "usage": null until the usage chunk, as OpenAI does.
class ChatStreamWriter {
 public:
  ChatStreamWriter(ResponseMeta meta, bool include_usage, bool include_logprobs)
      : meta_(std::move(meta)),
        include_usage_(include_usage),
        include_logprobs_(include_logprobs) {}

  std::string Start() const;
  std::string Delta(std::string_view text, std::span<const TokenLogprob> logprobs = {}) const;
  std::string Finish(FinishReason reason, const Usage& usage) const;
  // An error after the stream started: "data: {"error":{...}}\n\n" (the SDKs raise it).
  std::string Error(const ApiError& error) const;

 private:
  OrderedJson Chunk() const;
  OrderedJson Choice(OrderedJson delta, OrderedJson logprobs, OrderedJson finish_reason) const;

  ResponseMeta meta_;
  bool include_usage_;
  bool include_logprobs_;
};

// {prompt_tokens, completion_tokens, total_tokens}
OrderedJson UsageJson(const Usage& usage);

}  // namespace locai::api::openai
