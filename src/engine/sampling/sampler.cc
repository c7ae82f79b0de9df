#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "engine/sampling/lane_sum.h"

namespace locai::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// NaN would make the log-softmax NaN everywhere; count it as "impossible" instead.
float Sanitize(float logit) { return std::isnan(logit) ? kNegInf : logit; }

}  // namespace

Sampler::Sampler(SamplingParams params, int32_t n_vocab)
    : params_(std::move(params)), n_vocab_(std::max(n_vocab, 0)) {
  params_.top_logprobs = std::clamp(params_.top_logprobs, 0, kMaxTopLogprobs);
  greedy_ = !(params_.temperature > 0.0f) || params_.top_k == 1;

  if (!params_.logit_bias.empty()) {
    stages_.push_back(std::make_unique<LogitBiasStage>(params_.logit_bias, n_vocab_));
  }
  if (params_.repeat_penalty > 0.0f && params_.repeat_penalty != 1.0f &&
      params_.repeat_last_n > 0) {
    stages_.push_back(std::make_unique<RepetitionPenaltyStage>(params_.repeat_penalty,
                                                               params_.repeat_last_n, n_vocab_));
  }
  if ((params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) &&
      std::isfinite(params_.presence_penalty) && std::isfinite(params_.frequency_penalty)) {
    stages_.push_back(std::make_unique<PresenceFrequencyStage>(
        params_.presence_penalty, params_.frequency_penalty, n_vocab_));
  }
  if (greedy_) {
    // Truncation and temperature never change the argmax, so the greedy chain skips them.
    stages_.push_back(std::make_unique<GreedyPicker>());
    return;
  }
  if (params_.top_k > 0) stages_.push_back(std::make_unique<TopKStage>(params_.top_k));
  if (params_.top_p < 1.0f && params_.top_p >= 0.0f) {
    stages_.push_back(std::make_unique<TopPStage>(params_.top_p));
  }
  if (params_.min_p > 0.0f && params_.min_p <= 1.0f) {
    stages_.push_back(std::make_unique<MinPStage>(params_.min_p));
  }
  if (params_.temperature != 1.0f && std::isfinite(params_.temperature)) {
    stages_.push_back(std::make_unique<TemperatureStage>(params_.temperature));
  }
  stages_.push_back(std::make_unique<DistributionPicker>(params_.seed));
}

Result<Sampler> Sampler::Create(SamplingParams params, int32_t n_vocab) {
  Status status = Validate(params, n_vocab);
  if (!status.ok()) return Err(std::move(status));
  return Sampler(std::move(params), n_vocab);
}

SampledToken Sampler::Sample(std::span<const float> logits) {
  SampledToken out;
  Sample(logits, out);
  return out;
}

void Sampler::Sample(std::span<const float> logits, SampledToken& out) {
  assert(logits.size() == static_cast<size_t>(n_vocab_));
  if (logits.size() > static_cast<size_t>(n_vocab_)) logits = logits.first(n_vocab_);
  candidates_.Fill(logits);
  for (const auto& stage : stages_) stage->Apply(candidates_);
  const int32_t selected = candidates_.selected;
  out.id = selected >= 0 ? candidates_.items[selected].id : -1;
  ComputeLogprobs(logits, out);
}

void Sampler::ComputeLogprobs(std::span<const float> logits, SampledToken& out) const {
  out.top.clear();
  out.logprob = 0.0f;
  if (!params_.compute_logprobs) return;
  float max_logit = kNegInf;
  for (float logit : logits) max_logit = std::max(max_logit, Sanitize(logit));
  if (max_logit == kNegInf) {
    out.logprob = kNegInf;
    return;
  }
  const double sum =
      LaneSum(logits.size(), [&](size_t i) { return std::exp(Sanitize(logits[i]) - max_logit); });
  const float log_norm = max_logit + static_cast<float>(std::log(sum));
  if (out.id >= 0) out.logprob = Sanitize(logits[out.id]) - log_norm;

  // Top-N by one pass keeping a small sorted list; ids arrive ascending, so an equal logit never
  // displaces an earlier id and ties stay ordered by id.
  const size_t n = static_cast<size_t>(params_.top_logprobs);
  if (n == 0) return;
  auto& top = out.top;
  for (size_t id = 0; id < logits.size(); ++id) {
    const float logit = Sanitize(logits[id]);
    if (top.size() == n && !(logit > top.back().second)) continue;
    size_t pos = top.size();
    while (pos > 0 && logit > top[pos - 1].second) --pos;
    if (top.size() == n) top.pop_back();
    top.insert(top.begin() + static_cast<std::ptrdiff_t>(pos), {static_cast<int32_t>(id), logit});
  }
  for (auto& entry : top) entry.second -= log_norm;
}

void Sampler::Accept(int32_t token) {
  for (const auto& stage : stages_) stage->Accept(token, /*generated=*/true);
}

void Sampler::AcceptPrompt(std::span<const int32_t> tokens) {
  for (int32_t token : tokens) {
    for (const auto& stage : stages_) stage->Accept(token, /*generated=*/false);
  }
}

void Sampler::Reset() {
  for (const auto& stage : stages_) stage->Reset();
}

std::vector<std::string_view> Sampler::StageNames() const {
  std::vector<std::string_view> names;
  names.reserve(stages_.size());
  for (const auto& stage : stages_) names.push_back(stage->Name());
  return names;
}

}  // namespace locai::engine
