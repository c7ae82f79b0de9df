#include "api/anthropic/messages_response.h"

#include <utility>

#include "api/common/json_output.h"
#include "api/common/sse.h"

namespace locai::api::anthropic {
namespace {

OrderedJson MessageJson(const ResponseMeta& meta, OrderedJson content, OrderedJson stop_reason,
                        OrderedJson stop_sequence, const Usage& usage) {
  OrderedJson message;
  message["id"] = meta.id;
  message["type"] = "message";
  message["role"] = "assistant";
  message["model"] = meta.model;
  message["content"] = std::move(content);
  message["stop_reason"] = std::move(stop_reason);
  message["stop_sequence"] = std::move(stop_sequence);
  message["usage"]["input_tokens"] = usage.prompt_tokens;
  message["usage"]["output_tokens"] = usage.completion_tokens;
  return message;
}

OrderedJson TextBlock(std::string_view text) {
  OrderedJson block;
  block["type"] = "text";
  block["text"] = text;
  return block;
}

OrderedJson StopSequenceJson(FinishReason reason, std::string_view stop_sequence) {
  if (reason != FinishReason::kStopSequence) return nullptr;
  return OrderedJson(stop_sequence);
}

}  // namespace

std::string SerializeMessage(const ResponseMeta& meta, const GenerationResult& result) {
  return DumpJson(MessageJson(
      meta, OrderedJson::array({TextBlock(result.text)}), AnthropicStopReason(result.finish_reason),
      StopSequenceJson(result.finish_reason, result.stop_sequence), result.usage));
}

std::string MessageStreamWriter::Start(int64_t input_tokens) const {
  OrderedJson start;
  start["type"] = "message_start";
  start["message"] =
      MessageJson(meta_, OrderedJson::array(), nullptr, nullptr, Usage{input_tokens, 0});
  OrderedJson block_start;
  block_start["type"] = "content_block_start";
  block_start["index"] = 0;
  block_start["content_block"] = TextBlock("");
  return SseEvent("message_start", DumpJson(start)) +
         SseEvent("content_block_start", DumpJson(block_start)) + Ping();
}

std::string MessageStreamWriter::Delta(std::string_view text) const {
  OrderedJson event;
  event["type"] = "content_block_delta";
  event["index"] = 0;
  event["delta"]["type"] = "text_delta";
  event["delta"]["text"] = text;
  return SseEvent("content_block_delta", DumpJson(event));
}

std::string MessageStreamWriter::Finish(FinishReason reason, std::string_view stop_sequence,
                                        const Usage& usage) const {
  OrderedJson block_stop;
  block_stop["type"] = "content_block_stop";
  block_stop["index"] = 0;
  OrderedJson delta;
  delta["type"] = "message_delta";
  delta["delta"]["stop_reason"] = AnthropicStopReason(reason);
  delta["delta"]["stop_sequence"] = StopSequenceJson(reason, stop_sequence);
  delta["usage"]["output_tokens"] = usage.completion_tokens;
  OrderedJson stop;
  stop["type"] = "message_stop";
  return SseEvent("content_block_stop", DumpJson(block_stop)) +
         SseEvent("message_delta", DumpJson(delta)) + SseEvent("message_stop", DumpJson(stop));
}

std::string MessageStreamWriter::Ping() const { return SseEvent("ping", R"({"type":"ping"})"); }

std::string MessageStreamWriter::Error(const ApiError& error) const {
  return SseEvent("error", SerializeAnthropicError(error));
}

}  // namespace locai::api::anthropic
