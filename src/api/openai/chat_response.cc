#include "api/openai/chat_response.h"

#include <utility>

#include "api/common/sse.h"

namespace locai::api::openai {
namespace {

OrderedJson BytesJson(std::string_view text) {
  OrderedJson bytes = OrderedJson::array();
  for (char c : text) bytes.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return bytes;
}

}  // namespace

OrderedJson UsageJson(const Usage& usage) {
  OrderedJson out;
  out["prompt_tokens"] = usage.prompt_tokens;
  out["completion_tokens"] = usage.completion_tokens;
  out["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  return out;
}

OrderedJson ChatLogprobsJson(std::span<const TokenLogprob> logprobs) {
  OrderedJson content = OrderedJson::array();
  for (const TokenLogprob& entry : logprobs) {
    OrderedJson item;
    item["token"] = entry.token;
    item["logprob"] = entry.logprob;
    item["bytes"] = BytesJson(entry.token);
    OrderedJson top = OrderedJson::array();
    for (const TopLogprob& alt : entry.top) {
      OrderedJson alt_json;
      alt_json["token"] = alt.token;
      alt_json["logprob"] = alt.logprob;
      alt_json["bytes"] = BytesJson(alt.token);
      top.push_back(std::move(alt_json));
    }
    item["top_logprobs"] = std::move(top);
    content.push_back(std::move(item));
  }
  OrderedJson out;
  out["content"] = std::move(content);
  out["refusal"] = nullptr;
  return out;
}

std::string SerializeChatCompletion(const ResponseMeta& meta, const GenerationResult& result,
                                    bool include_logprobs) {
  OrderedJson body;
  body["id"] = meta.id;
  body["object"] = "chat.completion";
  body["created"] = meta.created;
  body["model"] = meta.model;
  body["system_fingerprint"] = StringOrNull(meta.system_fingerprint);
  OrderedJson message;
  message["role"] = "assistant";
  message["content"] = result.text;
  message["refusal"] = nullptr;
  OrderedJson choice;
  choice["index"] = 0;
  choice["message"] = std::move(message);
  choice["logprobs"] = include_logprobs ? ChatLogprobsJson(result.logprobs) : OrderedJson(nullptr);
  choice["finish_reason"] = OpenAiFinishReason(result.finish_reason);
  body["choices"] = OrderedJson::array({std::move(choice)});
  body["usage"] = UsageJson(result.usage);
  return DumpJson(body);
}

OrderedJson ChatStreamWriter::Chunk() const {
  OrderedJson chunk;
  chunk["id"] = meta_.id;
  chunk["object"] = "chat.completion.chunk";
  chunk["created"] = meta_.created;
  chunk["model"] = meta_.model;
  chunk["system_fingerprint"] = StringOrNull(meta_.system_fingerprint);
  return chunk;
}

OrderedJson ChatStreamWriter::Choice(OrderedJson delta, OrderedJson logprobs,
                                     OrderedJson finish_reason) const {
  OrderedJson choice;
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = std::move(finish_reason);
  return choice;
}

std::string ChatStreamWriter::Start() const {
  OrderedJson delta;
  delta["role"] = "assistant";
  delta["content"] = "";
  delta["refusal"] = nullptr;
  OrderedJson chunk = Chunk();
  chunk["choices"] = OrderedJson::array({Choice(std::move(delta), nullptr, nullptr)});
  if (include_usage_) chunk["usage"] = nullptr;
  return SseData(DumpJson(chunk));
}

std::string ChatStreamWriter::Delta(std::string_view text,
                                    std::span<const TokenLogprob> logprobs) const {
  OrderedJson delta;
  delta["content"] = text;
  OrderedJson chunk = Chunk();
  OrderedJson logprobs_json = include_logprobs_ ? ChatLogprobsJson(logprobs) : OrderedJson(nullptr);
  chunk["choices"] =
      OrderedJson::array({Choice(std::move(delta), std::move(logprobs_json), nullptr)});
  if (include_usage_) chunk["usage"] = nullptr;
  return SseData(DumpJson(chunk));
}

std::string ChatStreamWriter::Finish(FinishReason reason, const Usage& usage) const {
  OrderedJson chunk = Chunk();
  chunk["choices"] =
      OrderedJson::array({Choice(OrderedJson::object(), nullptr, OpenAiFinishReason(reason))});
  if (include_usage_) chunk["usage"] = nullptr;
  std::string out = SseData(DumpJson(chunk));
  if (include_usage_) {
    OrderedJson usage_chunk = Chunk();
    usage_chunk["choices"] = OrderedJson::array();
    usage_chunk["usage"] = UsageJson(usage);
    out += SseData(DumpJson(usage_chunk));
  }
  out += SseDone();
  return out;
}

std::string ChatStreamWriter::Error(const ApiError& error) const {
  return SseData(SerializeOpenAiError(error));
}

}  // namespace locai::api::openai
