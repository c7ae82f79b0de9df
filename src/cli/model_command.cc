// locai model inspect | tokenize | eval | synth | quantize
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "engine/model/inference_context.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tools/model_synth.h"
#include "engine/tools/quant_mix.h"

namespace locai::cli {

namespace {

using nlohmann::json;
using namespace locai::engine;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void Inspect(const std::string& path, int64_t ctx, int64_t parallel, bool as_json) {
  auto model = OrFail(Model::Load(path));
  const ModelConfig& c = model->config();
  const int64_t context = ctx > 0 ? ctx : c.n_ctx_train;
  std::map<std::string, std::pair<int, uint64_t>> by_type;  // count, bytes
  for (const auto& t : model->file().tensors()) {
    auto& entry = by_type[std::string(Traits(t.type).name)];
    entry.first++;
    entry.second += t.size_bytes;
  }
  const MemoryEstimate mem = model->EstimateMemory(context, parallel, 512);
  std::string chat_template;
  if (const auto* v = model->file().Find("tokenizer.chat_template"); v && v->AsString()) {
    chat_template = *v->AsString();
  }
  if (as_json) {
    json types = json::object();
    for (const auto& [name, entry] : by_type) types[name] = {{"tensors", entry.first}, {"bytes", entry.second}};
    json out = {
        {"path", path},
        {"architecture", ArchitectureName(c.arch)},
        {"name", c.name},
        {"parameters", model->parameter_count()},
        {"file_bytes", model->file().file_size()},
        {"quantization", model->DominantType()},
        {"vocab_size", c.n_vocab},
        {"embedding_length", c.n_embd},
        {"block_count", c.n_layer},
        {"head_count", c.n_head},
        {"head_count_kv", c.n_head_kv},
        {"head_dim", c.head_dim},
        {"feed_forward_length", c.n_ff},
        {"context_length", c.n_ctx_train},
        {"rope_freq_base", c.rope_freq_base},
        {"tied_output", model->tied_output()},
        {"tensor_types", types},
        {"chat_template", chat_template},
        {"memory", {{"context", context},
                    {"parallel", parallel},
                    {"weights_bytes", mem.weights},
                    {"kv_cache_bytes", mem.kv_cache},
                    {"compute_bytes", mem.compute},
                    {"total_bytes", mem.total()}}},
    };
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("file           %s (%s)\n", path.c_str(), HumanBytes(model->file().file_size()).c_str());
  std::printf("architecture   %s%s%s\n", std::string(ArchitectureName(c.arch)).c_str(),
              c.name.empty() ? "" : "  name: ", c.name.c_str());
  std::printf("parameters     %.2f B (%llu)\n", static_cast<double>(model->parameter_count()) / 1e9,
              static_cast<unsigned long long>(model->parameter_count()));
  std::printf("quantization   %s\n", std::string(model->DominantType()).c_str());
  std::printf("shape          width %lld, %lld layers, %lld heads / %lld kv heads (head dim %lld), "
              "ffn %lld, vocab %lld\n",
              static_cast<long long>(c.n_embd), static_cast<long long>(c.n_layer),
              static_cast<long long>(c.n_head), static_cast<long long>(c.n_head_kv),
              static_cast<long long>(c.head_dim), static_cast<long long>(c.n_ff),
              static_cast<long long>(c.n_vocab));
  std::printf("context        %lld trained, rope base %g%s, output %s\n",
              static_cast<long long>(c.n_ctx_train), static_cast<double>(c.rope_freq_base),
              model->rope_freq_factors().empty() ? "" : " with frequency factors",
              model->tied_output() ? "tied to the embedding" : "separate");
  std::printf("tensor types  ");
  for (const auto& [name, entry] : by_type) {
    std::printf(" %s: %d (%s)", name.c_str(), entry.first, HumanBytes(entry.second).c_str());
  }
  std::printf("\nmemory         %s at context %lld x %lld sequences: weights %s + KV cache %s + "
              "compute %s\n",
              HumanBytes(mem.total()).c_str(), static_cast<long long>(context),
              static_cast<long long>(parallel), HumanBytes(mem.weights).c_str(),
              HumanBytes(mem.kv_cache).c_str(), HumanBytes(mem.compute).c_str());
  std::printf("chat template  %s\n", chat_template.empty()
                                         ? "none (ChatML is used)"
                                         : (std::to_string(chat_template.size()) + " characters").c_str());
}

void Tokenize(const std::string& path, const std::string& text, bool bos) {
  // Only the tokenizer is needed: vocabulary-only files (no tensors) work too.
  auto file = OrFail(gguf::GgufFile::Open(path));
  auto tokenizer = OrFail(Tokenizer::FromGguf(*file));
  auto ids = OrFail(tokenizer->Encode(text, bos, /*parse_special=*/true));
  std::cout << json(ids).dump() << "\n";
}

std::vector<int32_t> ParseTokens(const std::string& text) {
  std::vector<int32_t> ids;
  std::string normalised = text;
  std::replace(normalised.begin(), normalised.end(), ',', ' ');
  std::replace(normalised.begin(), normalised.end(), '[', ' ');
  std::replace(normalised.begin(), normalised.end(), ']', ' ');
  std::istringstream in(normalised);
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || v < INT32_MIN || v > INT32_MAX) {
      Fail(Status::InvalidArgument("'" + word + "' is not a token id"));
    }
    ids.push_back(static_cast<int32_t>(v));
  }
  if (ids.empty()) Fail(Status::InvalidArgument("no token ids given"));
  return ids;
}

void Eval(const std::string& path, const std::string& tokens_text, int top, int threads) {
  const std::vector<int32_t> tokens = ParseTokens(tokens_text);
  auto model = OrFail(Model::Load(path));
  ContextOptions options;
  options.context_length = static_cast<int64_t>(tokens.size());
  options.n_threads = threads;
  auto ctx = OrFail(InferenceContext::Create(model, options));
  std::vector<BatchEntry> batch;
  for (int32_t t : tokens) batch.push_back({t, 0, true});
  OrFail(ctx->Decode(batch));
  json out = json::array();
  for (size_t p = 0; p < tokens.size(); ++p) {
    auto row = ctx->Logits(p);
    double sum = 0.0;
    for (float v : row) sum += v;
    const double mean = sum / static_cast<double>(row.size());
    double var = 0.0;
    for (float v : row) var += (v - mean) * (v - mean);
    std::vector<int32_t> idx(row.size());
    std::iota(idx.begin(), idx.end(), 0);
    const auto k = static_cast<size_t>(std::min<int64_t>(top, static_cast<int64_t>(row.size())));
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                      [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
    json top_list = json::array();
    for (size_t i = 0; i < k; ++i) top_list.push_back({idx[i], row[static_cast<size_t>(idx[i])]});
    out.push_back({{"pos", p},
                   {"mean", mean},
                   {"std", std::sqrt(var / static_cast<double>(row.size()))},
                   {"top", top_list}});
  }
  std::cout << out.dump() << "\n";
}

}  // namespace

void RegisterModelCommand(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect, tokenize with, evaluate, synthesise and quantise GGUF models");
  model->require_subcommand(1);

  {
    auto* cmd = model->add_subcommand("inspect", "Architecture, shapes, types, size, chat template and memory needed");
    auto path = std::make_shared<std::string>();
    auto ctx = std::make_shared<int64_t>(0);
    auto parallel = std::make_shared<int64_t>(1);
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("model", *path, "GGUF file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--ctx", *ctx, "Context length for the memory estimate (default: the model's)");
    cmd->add_option("--parallel", *parallel, "Parallel sequences for the memory estimate")->check(CLI::PositiveNumber);
    cmd->add_flag("--json", *as_json, "Print JSON");
    cmd->callback([=] { Inspect(*path, *ctx, *parallel, *as_json); });
  }
  {
    auto* cmd = model->add_subcommand("tokenize", "Print the token ids of a text as a JSON array");
    auto path = std::make_shared<std::string>();
    auto text = std::make_shared<std::string>();
    auto bos = std::make_shared<bool>(false);
    cmd->add_option("model", *path, "GGUF file (a vocabulary-only file is enough)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--text", *text, "Text to tokenize; special-token text is parsed")->required();
    cmd->add_flag("--bos", *bos, "Add the BOS token");
    cmd->callback([=] { Tokenize(*path, *text, *bos); });
  }
  {
    auto* cmd = model->add_subcommand("eval", "Feed token ids as one batch; print per-position logit statistics as JSON");
    auto path = std::make_shared<std::string>();
    auto tokens = std::make_shared<std::string>();
    auto top = std::make_shared<int>(10);
    auto threads = std::make_shared<int>(0);
    cmd->add_option("model", *path, "GGUF file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--tokens", *tokens, "Token ids, separated by spaces or commas")->required();
    cmd->add_option("--top", *top, "How many of the highest logits to list")->check(CLI::Range(1, 1000));
    cmd->add_option("-t,--threads", *threads, "Threads (default: all hardware threads)");
    cmd->callback([=] { Eval(*path, *tokens, *top, *threads); });
  }
  {
    auto* cmd = model->add_subcommand("synth", "Write a llama/qwen2 GGUF with seeded random weights of a real shape");
    auto shape_name = std::make_shared<std::string>("tiny");
    auto options = std::make_shared<SynthOptions>();
    auto overrides = std::make_shared<std::map<std::string, int64_t>>();
    cmd->add_option("--shape", *shape_name, "Built-in shape: " + Join(SynthShapeNames()));
    cmd->add_option("--type", options->mix, "Weight types: " + Join(QuantMixNames()))->default_val("f16");
    cmd->add_option("--seed", options->seed, "Random seed")->default_val(42);
    cmd->add_option("--vocab-from", options->vocab_from, "GGUF to copy the tokenizer and chat template from")
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", options->output_path, "Output file")->required();
    cmd->add_option("--layers", (*overrides)["layers"], "Override the number of layers");
    cmd->add_option("--ctx", (*overrides)["ctx"], "Override the context length");
    cmd->add_option("-t,--threads", options->n_threads, "Threads (default: all hardware threads)");
    cmd->callback([=] {
      auto shape = FindSynthShape(*shape_name);
      if (!shape) Fail(Status::InvalidArgument("unknown shape '" + *shape_name + "'; built in: " + Join(SynthShapeNames())));
      if ((*overrides)["layers"] > 0) shape->n_layer = (*overrides)["layers"];
      if ((*overrides)["ctx"] > 0) shape->n_ctx = (*overrides)["ctx"];
      SynthOptions run = *options;
      run.shape = *shape;
      ProgressBar bar("synth");
      run.progress = [&](size_t done, size_t total) { bar.Update(done, total, "tensors"); };
      OrFail(SynthesizeModel(run));
      std::fprintf(stderr, "wrote %s\n", run.output_path.c_str());
    });
  }
  {
    auto* cmd = model->add_subcommand("quantize", "Convert an F32/F16 GGUF to a quantised mix");
    auto options = std::make_shared<QuantizeOptions>();
    cmd->add_option("input", options->input_path, "Input GGUF")->required()->check(CLI::ExistingFile);
    cmd->add_option("output", options->output_path, "Output GGUF")->required();
    cmd->add_option("--type", options->mix, "Target: " + Join(QuantMixNames()))->default_val("q4_k_m");
    cmd->add_option("-t,--threads", options->n_threads, "Threads (default: all hardware threads)");
    cmd->callback([=] {
      QuantizeOptions run = *options;
      ProgressBar bar("quantize");
      run.progress = [&](size_t done, size_t total) { bar.Update(done, total, "tensors"); };
      OrFail(QuantizeModel(run));
      std::fprintf(stderr, "wrote %s\n", run.output_path.c_str());
    });
  }
}

}  // namespace locai::cli
