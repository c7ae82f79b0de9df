// locai bench MODEL: prompt-processing and generation speed, and peak memory, like llama-bench.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/progress_bar.h"
#include "engine/model/inference_context.h"

namespace locai::cli {

namespace {

using namespace locai::engine;

struct BenchOptions {
  std::string model_path;
  int64_t prompt_tokens = 512;
  int64_t gen_tokens = 128;
  int threads = 0;
  int64_t batch = 512;
  int repetitions = 1;
  bool as_json = false;
};

uint64_t PeakRssBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

void Bench(const BenchOptions& o) {
  using Clock = std::chrono::steady_clock;
  auto model = OrFail(Model::Load(o.model_path));
  ContextOptions co;
  co.context_length = o.prompt_tokens + o.gen_tokens + 1;
  co.n_threads = o.threads;
  co.max_batch = o.batch;
  auto ctx = OrFail(InferenceContext::Create(model, co));
  const auto n_vocab = static_cast<int32_t>(model->config().n_vocab);

  // Seeded pseudo-random prompt ids: the cost of a forward pass does not depend on them.
  uint64_t state = 12345;
  auto next_id = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int32_t>((state >> 33) % static_cast<uint64_t>(n_vocab));
  };
  double pp_best = 0.0, tg_best = 0.0;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    ctx->TruncateSequence(0, 0);
    std::vector<BatchEntry> batch;
    for (int64_t i = 0; i < o.prompt_tokens; ++i) batch.push_back({next_id(), 0, i + 1 == o.prompt_tokens});
    auto t0 = Clock::now();
    if (!batch.empty()) OrFail(ctx->Decode(batch));
    const double pp_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (o.prompt_tokens > 0) pp_best = std::max(pp_best, static_cast<double>(o.prompt_tokens) / pp_seconds);

    t0 = Clock::now();
    for (int64_t i = 0; i < o.gen_tokens; ++i) {
      BatchEntry e{next_id(), 0, true};
      OrFail(ctx->Decode({&e, 1}));
    }
    const double tg_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (o.gen_tokens > 0) tg_best = std::max(tg_best, static_cast<double>(o.gen_tokens) / tg_seconds);
  }
  const uint64_t rss = PeakRssBytes();
  const uint64_t file_bytes = model->file().file_size();
  if (o.as_json) {
    nlohmann::json out = {{"model", o.model_path},
                          {"type", model->DominantType()},
                          {"threads", ctx->pool().num_threads()},
                          {"prompt_tokens", o.prompt_tokens},
                          {"prompt_tokens_per_second", pp_best},
                          {"gen_tokens", o.gen_tokens},
                          {"gen_tokens_per_second", tg_best},
                          {"file_bytes", file_bytes},
                          {"kv_cache_bytes", KvCacheBytes(model->config(), co.context_length)},
                          {"peak_rss_bytes", rss}};
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("| model | type | threads | pp%lld tok/s | tg%lld tok/s | file | peak RSS |\n",
              static_cast<long long>(o.prompt_tokens), static_cast<long long>(o.gen_tokens));
  std::printf("|---|---|---|---|---|---|---|\n");
  std::printf("| %s | %s | %d | %.2f | %.2f | %s | %s |\n", o.model_path.c_str(),
              std::string(model->DominantType()).c_str(), ctx->pool().num_threads(), pp_best, tg_best,
              HumanBytes(file_bytes).c_str(), HumanBytes(rss).c_str());
}

}  // namespace

void RegisterBenchCommand(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Measure prompt and generation tokens/s and peak memory");
  cmd->add_option("model", o->model_path, "GGUF file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-p,--prompt-tokens", o->prompt_tokens, "Prompt tokens, processed as one batch")->default_val(512)->check(CLI::NonNegativeNumber);
  cmd->add_option("-n,--gen-tokens", o->gen_tokens, "Generated tokens, one at a time")->default_val(128)->check(CLI::NonNegativeNumber);
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all hardware threads)");
  cmd->add_option("-b,--batch", o->batch, "Tokens per forward chunk")->default_val(512)->check(CLI::PositiveNumber);
  cmd->add_option("-r,--repetitions", o->repetitions, "Runs; the best is reported")->default_val(1)->check(CLI::PositiveNumber);
  cmd->add_flag("--json", o->as_json, "Print JSON");
  cmd->callback([o] { Bench(*o); });
}

}  // namespace locai::cli
