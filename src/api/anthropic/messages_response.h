// Serialisation of Anthropic Messages results: the `message` body and the named-event SSE stream
// the official `@anthropic-ai/sdk` parses.
// Thread-safety: pure functions; a MessageStreamWriter is an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/common/api_error.h"
#include "api/common/generation.h"

namespace locai::api::anthropic {

// {id, type:"message", role:"assistant", model, content:[{type:"text", text}], stop_reason,
//  stop_sequence (string or null), usage:{input_tokens, output_tokens}}
std::string SerializeMessage(const ResponseMeta& meta, const GenerationResult& result);

// Produces the events of one streamed message, each "event: <type>\ndata: <json>\n\n":
//   Start(input_tokens)  message_start (empty content, null stop_reason, usage with
//                        input_tokens and output_tokens 0), content_block_start (index 0,
//                        empty text block), ping;
//   Delta(text)          content_block_delta {index 0, delta {type:"text_delta", text}};
//   Finish(...)          content_block_stop, message_delta {delta {stop_reason, stop_sequence},
//                        usage {output_tokens}}, message_stop.
class MessageStreamWriter {
 public:
  explicit MessageStreamWriter(ResponseMeta meta) : meta_(std::move(meta)) {}

  std::string Start(int64_t input_tokens) const;
  std::string Delta(std::string_view text) const;
  std::string Finish(FinishReason reason, std::string_view stop_sequence, const Usage& usage) const;
  std::string Ping() const;
  // "event: error" with {type:"error", error:{type, message}}.
  std::string Error(const ApiError& error) const;

 private:
  ResponseMeta meta_;
};

}  // namespace locai::api::anthropic
