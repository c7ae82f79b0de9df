// locai run MODEL [-p PROMPT]: one completion, or an interactive chat using the model's template.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "engine/chat_template/chat_template.h"
#include "engine/generate/generator.h"

namespace locai::cli {

namespace {

using namespace locai::engine;

struct RunOptions {
  std::string model_path;
  std::string prompt;
  std::string system;
  bool raw = false;  // -p text goes to the model as is, without the chat template
  int32_t max_tokens = 256;
  int64_t context = 4096;
  int threads = 0;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  uint64_t seed = 0;
  std::vector<std::string> stop;
  bool verbose = false;
};

struct Session {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<InferenceContext> ctx;
  std::string chat_template;
};

Session Open(const RunOptions& o) {
  Session s;
  s.model = OrFail(Model::Load(o.model_path));
  s.tokenizer = OrFail(Tokenizer::FromGguf(s.model->file()));
  ContextOptions co;
  co.context_length = std::min<int64_t>(o.context, s.model->context_length());
  co.n_threads = o.threads;
  s.ctx = OrFail(InferenceContext::Create(s.model, co));
  if (const auto* v = s.model->file().Find("tokenizer.chat_template"); v && v->AsString()) {
    s.chat_template = *v->AsString();
  }
  return s;
}

GenerateOptions ToGenerateOptions(const RunOptions& o) {
  GenerateOptions g;
  g.max_tokens = o.max_tokens;
  g.stop = o.stop;
  g.sampling.temperature = o.temperature;
  g.sampling.top_k = o.top_k;
  g.sampling.top_p = o.top_p;
  g.sampling.min_p = o.min_p;
  g.sampling.repeat_penalty = o.repeat_penalty;
  g.sampling.seed = o.seed;
  g.sampling.compute_logprobs = false;  // nothing here shows them; they cost a pass over the vocabulary
  return g;
}

std::vector<int32_t> ChatPrompt(const Session& s, const std::vector<ChatMessage>& messages) {
  ChatTemplateOptions options;
  const Tokenizer& tok = *s.tokenizer;
  if (tok.bos_id() >= 0) options.bos_token = std::string(tok.TokenText(tok.bos_id()));
  if (tok.eos_id() >= 0) options.eos_token = std::string(tok.TokenText(tok.eos_id()));
  std::string text = OrFail(ApplyChatTemplate(s.chat_template, messages, options));
  // Templates that write the BOS text themselves must not get a second one from the tokenizer.
  const bool add_bos = tok.add_bos_default() &&
                       !(!options.bos_token.empty() && text.rfind(options.bos_token, 0) == 0);
  return OrFail(tok.Encode(text, add_bos, /*parse_special=*/true));
}

GenerateResult Complete(Session& s, const std::vector<int32_t>& prompt, const RunOptions& o) {
  auto result = OrFail(Generate(*s.ctx, *s.tokenizer, prompt, ToGenerateOptions(o), [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  }));
  std::fputc('\n', stdout);
  if (o.verbose) {
    std::fprintf(stderr, "[%lld prompt tokens in %.2fs (%.1f tok/s), %zu generated in %.2fs (%.1f tok/s), %s]\n",
                 static_cast<long long>(result.prompt_tokens), result.prompt_seconds,
                 static_cast<double>(result.prompt_tokens) / std::max(result.prompt_seconds, 1e-9),
                 result.tokens.size(), result.generation_seconds,
                 static_cast<double>(result.tokens.size()) / std::max(result.generation_seconds, 1e-9),
                 std::string(FinishReasonName(result.finish)).c_str());
  }
  return result;
}

void Run(const RunOptions& o) {
  Session s = Open(o);
  if (!o.prompt.empty()) {
    std::vector<int32_t> prompt;
    if (o.raw) {
      prompt = OrFail(s.tokenizer->Encode(o.prompt, s.tokenizer->add_bos_default(), false));
    } else {
      std::vector<ChatMessage> messages;
      if (!o.system.empty()) messages.push_back({"system", o.system});
      messages.push_back({"user", o.prompt});
      prompt = ChatPrompt(s, messages);
    }
    Complete(s, prompt, o);
    return;
  }
  std::fprintf(stderr, "Chatting with %s. Type /bye or send EOF (Ctrl-D) to leave.\n", o.model_path.c_str());
  std::vector<ChatMessage> messages;
  if (!o.system.empty()) messages.push_back({"system", o.system});
  std::string line;
  while (true) {
    std::fprintf(stderr, ">>> ");
    if (!std::getline(std::cin, line) || line == "/bye") break;
    if (line.empty()) continue;
    messages.push_back({"user", line});
    auto result = Complete(s, ChatPrompt(s, messages), o);
    messages.push_back({"assistant", result.text});
  }
}

}  // namespace

void RegisterRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a GGUF model: one answer with -p, else an interactive chat");
  cmd->add_option("model", o->model_path, "GGUF file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-p,--prompt", o->prompt, "The prompt (a user message, unless --raw)");
  cmd->add_option("--system", o->system, "A system message");
  cmd->add_flag("--raw", o->raw, "Send -p text as is, without the chat template");
  cmd->add_option("-n,--max-tokens", o->max_tokens, "Tokens to generate at most")->default_val(256)->check(CLI::NonNegativeNumber);
  cmd->add_option("-c,--ctx", o->context, "Context length")->default_val(4096)->check(CLI::PositiveNumber);
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all hardware threads)");
  cmd->add_option("--temp", o->temperature, "Temperature (0: greedy)")->default_val(0.8f)->check(CLI::Range(0.0f, 100.0f));
  cmd->add_option("--top-k", o->top_k, "Top-k (0: off)")->default_val(40)->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", o->top_p, "Top-p")->default_val(0.95f)->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--min-p", o->min_p, "Min-p")->default_val(0.05f)->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--repeat-penalty", o->repeat_penalty, "Repetition penalty (1: off)")->default_val(1.0f);
  cmd->add_option("--seed", o->seed, "Random seed")->default_val(0);
  cmd->add_option("--stop", o->stop, "Stop string (repeatable)");
  cmd->add_flag("-v,--verbose", o->verbose, "Print timings to stderr");
  cmd->callback([o] { Run(*o); });
}

}  // namespace locai::cli
