#include "api/openai/completions.h"

#include <utility>

#include "api/common/json_input.h"
#include "api/common/sse.h"
#include "api/openai/chat_response.h"
#include "api/openai/sampling_fields.h"

namespace locai::api::openai {
namespace {

void ParsePrompt(ObjectReader& reader, GenerationRequest& request) {
  if (!reader.Require("prompt")) return;
  const Json& prompt = *reader.Find("prompt");
  if (prompt.is_string()) {
    request.prompt = prompt.get<std::string>();
    return;
  }
  if (!prompt.is_array()) {
    reader.TypeError("prompt", "a string or an array of strings", prompt);
    return;
  }
  if (prompt.empty()) {
    reader.ValueError("prompt", "expected an array with minimum length 1.");
    return;
  }
  if (!prompt[0].is_string()) {
    if (prompt[0].is_number() || prompt[0].is_array()) {
      reader.ValueError("prompt", "prompts given as token ids are not supported by this server.");
    } else {
      reader.TypeError("prompt", "a string or an array of strings", prompt);
    }
    return;
  }
  if (prompt.size() > 1) {
    reader.ValueError("prompt", "only one prompt per request is supported by this server.");
    return;
  }
  request.prompt = prompt[0].get<std::string>();
}

}  // namespace

ApiResult<GenerationRequest> ParseCompletionRequest(std::string_view body) {
  ApiResult<Json> parsed = ParseJsonObject(body);
  if (!parsed) return ApiErr(std::move(parsed).error());
  ParseErrors errors(PathStyle::kOpenAi);
  ObjectReader reader(*parsed, "", errors);
  GenerationRequest request;
  request.api = ApiKind::kOpenAiCompletion;
  ReadSharedFields(reader, request);
  ParsePrompt(reader, request);
  request.max_tokens =
      ReadTokenLimit(reader, "max_tokens", true).value_or(kDefaultCompletionMaxTokens);
  if (std::optional<int64_t> logprobs = reader.Integer("logprobs", 0, kMaxCompletionLogprobs)) {
    request.logprobs = true;
    request.top_logprobs = static_cast<int>(*logprobs);
  }
  if (reader.Bool("echo").value_or(false)) {
    reader.ValueError("echo", "echo=true is not supported by this server.");
  }
  if (std::optional<std::string> suffix = reader.String("suffix"); suffix && !suffix->empty()) {
    reader.ValueError("suffix", "suffix is not supported by this server.");
  }
  if (const Json* best_of = reader.Find("best_of")) {
    if (IntegerValue(*best_of, 1, 1) != 1) {
      reader.ValueError("best_of", "only best_of=1 is supported by this server.");
    }
  }
  if (!errors.ok()) return ApiErr(errors.TakeError());
  return request;
}

OrderedJson CompletionLogprobsJson(std::span<const TokenLogprob> logprobs, int64_t first_offset) {
  OrderedJson tokens = OrderedJson::array();
  OrderedJson token_logprobs = OrderedJson::array();
  OrderedJson top_logprobs = OrderedJson::array();
  OrderedJson text_offset = OrderedJson::array();
  int64_t offset = first_offset;
  for (const TokenLogprob& entry : logprobs) {
    tokens.push_back(entry.token);
    token_logprobs.push_back(entry.logprob);
    OrderedJson top = OrderedJson::object();
    for (const TopLogprob& alt : entry.top) top[alt.token] = alt.logprob;
    top_logprobs.push_back(std::move(top));
    text_offset.push_back(offset);
    offset += static_cast<int64_t>(entry.token.size());
  }
  OrderedJson out;
  out["tokens"] = std::move(tokens);
  out["token_logprobs"] = std::move(token_logprobs);
  out["top_logprobs"] = std::move(top_logprobs);
  out["text_offset"] = std::move(text_offset);
  return out;
}

std::string SerializeCompletion(const ResponseMeta& meta, const GenerationResult& result,
                                bool include_logprobs) {
  OrderedJson body;
  body["id"] = meta.id;
  body["object"] = "text_completion";
  body["created"] = meta.created;
  body["model"] = meta.model;
  body["system_fingerprint"] = StringOrNull(meta.system_fingerprint);
  OrderedJson choice;
  choice["text"] = result.text;
  choice["index"] = 0;
  choice["logprobs"] =
      include_logprobs ? CompletionLogprobsJson(result.logprobs, 0) : OrderedJson(nullptr);
  choice["finish_reason"] = OpenAiFinishReason(result.finish_reason);
  body["choices"] = OrderedJson::array({std::move(choice)});
  body["usage"] = UsageJson(result.usage);
  return DumpJson(body);
}

OrderedJson CompletionStreamWriter::Chunk(std::string_view text, OrderedJson logprobs,
                                          OrderedJson finish_reason) const {
  OrderedJson chunk;
  chunk["id"] = meta_.id;
  chunk["object"] = "text_completion";
  chunk["created"] = meta_.created;
  chunk["model"] = meta_.model;
  chunk["system_fingerprint"] = StringOrNull(meta_.system_fingerprint);
  OrderedJson choice;
  choice["text"] = text;
  choice["index"] = 0;
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = std::move(finish_reason);
  chunk["choices"] = OrderedJson::array({std::move(choice)});
  if (include_usage_) chunk["usage"] = nullptr;
  return chunk;
}

std::string CompletionStreamWriter::Delta(std::string_view text,
                                          std::span<const TokenLogprob> logprobs) {
  OrderedJson logprobs_json =
      include_logprobs_ ? CompletionLogprobsJson(logprobs, text_offset_) : OrderedJson(nullptr);
  text_offset_ += static_cast<int64_t>(text.size());
  return SseData(DumpJson(Chunk(text, std::move(logprobs_json), nullptr)));
}

std::string CompletionStreamWriter::Finish(FinishReason reason, const Usage& usage) const {
  std::string out = SseData(DumpJson(Chunk("", nullptr, OpenAiFinishReason(reason))));
  if (include_usage_) {
    OrderedJson usage_chunk;
    usage_chunk["id"] = meta_.id;
    usage_chunk["object"] = "text_completion";
    usage_chunk["created"] = meta_.created;
    usage_chunk["model"] = meta_.model;
    usage_chunk["system_fingerprint"] = StringOrNull(meta_.system_fingerprint);
    usage_chunk["choices"] = OrderedJson::array();
    usage_chunk["usage"] = UsageJson(usage);
    out += SseData(DumpJson(usage_chunk));
  }
  out += SseDone();
  return out;
}

std::string CompletionStreamWriter::Error(const ApiError& error) const {
  return SseData(SerializeOpenAiError(error));
}

}  // namespace locai::api::openai
