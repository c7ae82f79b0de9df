// Turning a parsed API request (api::GenerationRequest) into what the engine runs: the prompt's
// token ids and an engine::GenerationRequest with sampling parameters, stop strings and a clamped
// token limit.
//
// Chat and messages requests are rendered with the model's chat template (ChatML when the GGUF has
// none), with the tokenizer's BOS/EOS texts as bos_token/eos_token; special-token text in the
// rendered prompt is parsed as those tokens, and no second BOS is added when the rendered text
// already starts with it. An Anthropic prefill (continue_final_message) renders the conversation
// before it with the generation prompt and appends the prefill text. Completions prompts are raw
// text with BOS per the tokenizer's default.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/common/api_error.h"
#include "api/common/generation.h"
#include "engine/scheduler/batch_scheduler.h"
#include "engine/tokenizer/tokenizer.h"

namespace locai::node {

// The prompt token ids. Errors: 400 invalid_request_error when the chat template refuses the
// conversation (its message is passed on), 500 for a tokenizer failure.
api::ApiResult<std::vector<int32_t>> BuildPrompt(const api::GenerationRequest& request,
                                                 const std::string& chat_template,
                                                 const engine::Tokenizer& tokenizer);

// The engine request for `prompt`. Defaults: temperature 1.0, top_p 1.0, no top_k, `random_seed`
// when the request has no seed. max_tokens is clamped to the context room (ClampMaxTokens).
// Errors (400 invalid_request_error): a prompt that leaves no room in the context
// (code context_length_exceeded), logit_bias ids outside the vocabulary (param logit_bias).
api::ApiResult<engine::GenerationRequest> ToEngineRequest(const api::GenerationRequest& request,
                                                          std::vector<int32_t> prompt,
                                                          int64_t context_length, int32_t n_vocab,
                                                          uint64_t random_seed);

// The stop sequence that ended a generation whose emitted text is `emitted` and whose generated
// tokens decode piecewise to `raw` (stop strings included): the stop found at the end of the
// emitted text, else the earliest one in `raw`; empty when none matched (the model ended its turn).
std::string MatchedStopSequence(const std::vector<std::string>& stops, const std::string& emitted,
                                const std::string& raw);

}  // namespace locai::node
