#include "engine/sampling/sampler_stages.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "engine/sampling/lane_sum.h"
#include "engine/sampling/sampling_params.h"

namespace locai::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The candidate for `id`, or null when it was truncated away. O(1) while the list is dense.
TokenCandidate* Find(CandidateList& candidates, int32_t id) {
  auto& items = candidates.items;
  if (candidates.dense) {
    return (id >= 0 && static_cast<size_t>(id) < items.size()) ? &items[id] : nullptr;
  }
  for (TokenCandidate& c : items) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// Top-k up to this k uses a heap; larger k uses nth_element.
constexpr int32_t kHeapMaxK = 1024;
// Top-p sorts lists up to this size outright; larger ones are bucketed.
constexpr size_t kTopPSortBelow = 512;
constexpr size_t kTopPBuckets = 1024;
constexpr float kTopPRange = 32.0f;  // nats below the maximum covered by the buckets

// Sum of exp(logit - max_logit) over `items`.
double SumExp(const std::vector<TokenCandidate>& items, float max_logit) {
  return LaneSum(items.size(), [&](size_t i) { return std::exp(items[i].logit - max_logit); });
}

float MaxLogit(const CandidateList& candidates) {
  if (candidates.items.empty()) return kNegInf;
  if (candidates.sorted) return candidates.items.front().logit;
  float max_logit = kNegInf;
  for (const TokenCandidate& c : candidates.items) max_logit = std::max(max_logit, c.logit);
  return max_logit;
}

}  // namespace

void CandidateList::Fill(std::span<const float> logits) {
  items.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    float logit = logits[i];
    // The model's output is trusted to be numbers; keep NaN and +inf from poisoning the softmax.
    if (std::isnan(logit)) logit = kNegInf;
    if (logit > std::numeric_limits<float>::max()) logit = std::numeric_limits<float>::max();
    items[i] = TokenCandidate{static_cast<int32_t>(i), logit, 0.0f};
  }
  dense = true;
  sorted = false;
  selected = -1;
}

void CandidateList::Sort() {
  if (sorted) return;
  std::sort(items.begin(), items.end(), RanksBefore);
  sorted = true;
  dense = dense && items.size() <= 1;
}

void CandidateList::PartialSortFront(size_t begin, size_t k) {
  assert(begin + k <= items.size());
  const auto first = items.begin() + static_cast<std::ptrdiff_t>(begin);
  const auto middle = first + static_cast<std::ptrdiff_t>(k);
  if (middle != items.end()) std::nth_element(first, middle, items.end(), RanksBefore);
  std::sort(first, middle, RanksBefore);
  dense = false;
}

int32_t CandidateList::ArgMax() const {
  if (items.empty()) return -1;
  if (sorted) return 0;
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    if (RanksBefore(items[i], items[best])) best = i;
  }
  return static_cast<int32_t>(best);
}

LogitBiasStage::LogitBiasStage(std::vector<std::pair<int32_t, float>> bias, int32_t n_vocab) {
  for (const auto& entry : bias) {
    if (entry.first >= 0 && entry.first < n_vocab && !std::isnan(entry.second)) {
      bias_.push_back(entry);
    }
  }
}

void LogitBiasStage::Apply(CandidateList& candidates) {
  for (const auto& [id, bias] : bias_) {
    if (TokenCandidate* c = Find(candidates, id)) c->logit += bias;
  }
  if (!bias_.empty()) candidates.sorted = false;
}

RepetitionPenaltyStage::RepetitionPenaltyStage(float penalty, int32_t last_n, int32_t n_vocab)
    : penalty_(penalty),
      last_n_(static_cast<size_t>(std::clamp(last_n, 0, kMaxRepeatLastN))),
      n_vocab_(n_vocab) {
  ring_.reserve(std::min<size_t>(last_n_, 4096));
  scratch_.reserve(std::min<size_t>(last_n_, 4096));
}

void RepetitionPenaltyStage::Accept(int32_t token, bool /*generated*/) {
  if (last_n_ == 0 || token < 0 || token >= n_vocab_) return;
  if (ring_.size() < last_n_) {
    ring_.push_back(token);
    return;
  }
  ring_[next_] = token;
  next_ = (next_ + 1) % last_n_;
}

void RepetitionPenaltyStage::Reset() {
  ring_.clear();
  next_ = 0;
}

void RepetitionPenaltyStage::Apply(CandidateList& candidates) {
  if (ring_.empty()) return;
  // Each distinct token in the window is penalised once, however often it occurs.
  scratch_.assign(ring_.begin(), ring_.end());
  std::sort(scratch_.begin(), scratch_.end());
  scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
  for (int32_t id : scratch_) {
    TokenCandidate* c = Find(candidates, id);
    if (c == nullptr) continue;
    c->logit = c->logit > 0.0f ? c->logit / penalty_ : c->logit * penalty_;
  }
  candidates.sorted = false;
}

PresenceFrequencyStage::PresenceFrequencyStage(float presence, float frequency, int32_t n_vocab)
    : presence_(presence), frequency_(frequency), counts_(static_cast<size_t>(n_vocab), 0) {}

void PresenceFrequencyStage::Accept(int32_t token, bool generated) {
  if (!generated || token < 0 || static_cast<size_t>(token) >= counts_.size()) return;
  if (counts_[token]++ == 0) seen_.push_back(token);
}

void PresenceFrequencyStage::Reset() {
  for (int32_t id : seen_) counts_[id] = 0;
  seen_.clear();
}

void PresenceFrequencyStage::Apply(CandidateList& candidates) {
  for (int32_t id : seen_) {
    TokenCandidate* c = Find(candidates, id);
    if (c == nullptr) continue;
    const int32_t count = counts_[id];
    c->logit -= presence_ + frequency_ * static_cast<float>(count);
  }
  if (!seen_.empty()) candidates.sorted = false;
}

TopKStage::TopKStage(int32_t k) : k_(k) { heap_.reserve(std::clamp(k, 0, kHeapMaxK)); }

void TopKStage::Apply(CandidateList& candidates) {
  auto& items = candidates.items;
  if (k_ <= 0 || static_cast<size_t>(k_) >= items.size()) return;
  const size_t k = static_cast<size_t>(k_);
  if (candidates.sorted) {
    items.resize(k);
    return;
  }
  if (k <= static_cast<size_t>(kHeapMaxK) && items.size() >= 4 * k) {
    // With RanksBefore as "less", the heap's front is the worst of the k best seen so far.
    heap_.assign(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k));
    std::make_heap(heap_.begin(), heap_.end(), RanksBefore);
    for (size_t i = k; i < items.size(); ++i) {
      if (!RanksBefore(items[i], heap_.front())) continue;
      std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
      heap_.back() = items[i];
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    }
    std::sort(heap_.begin(), heap_.end(), RanksBefore);
    std::copy(heap_.begin(), heap_.end(), items.begin());
  } else {
    candidates.PartialSortFront(0, k);
  }
  items.resize(k);
  candidates.sorted = true;
  candidates.dense = false;
}

TopPStage::TopPStage(float p) : p_(p), bucket_mass_(kTopPBuckets, 0.0) {}

void TopPStage::ApplySorted(CandidateList& candidates) const {
  candidates.Sort();
  auto& items = candidates.items;
  const float max_logit = items.front().logit;
  if (max_logit == kNegInf) return;
  const double target = static_cast<double>(p_) * SumExp(items, max_logit);
  double cumulative = 0.0;
  size_t keep = items.size();
  for (size_t i = 0; i < items.size(); ++i) {
    cumulative += std::exp(static_cast<double>(items[i].logit - max_logit));
    if (cumulative >= target) {
      keep = i + 1;
      break;
    }
  }
  items.resize(keep);
  candidates.dense = false;
}

void TopPStage::Apply(CandidateList& candidates) {
  auto& items = candidates.items;
  if (p_ >= 1.0f || items.size() <= 1) return;
  if (candidates.sorted || items.size() <= kTopPSortBelow) {
    ApplySorted(candidates);
    return;
  }
  const float max_logit = MaxLogit(candidates);
  if (max_logit == kNegInf) return;

  // Bucket b holds the candidates whose logit lies in [b, b + 1) * kWidth below the maximum (the
  // last bucket everything further down), so buckets are ordered as the candidates are.
  constexpr float kScale = static_cast<float>(kTopPBuckets) / kTopPRange;
  const auto bucket_of = [&](const TokenCandidate& c) {
    const float scaled = (max_logit - c.logit) * kScale;
    return scaled < static_cast<float>(kTopPBuckets - 1) ? static_cast<size_t>(scaled)
                                                         : static_cast<size_t>(kTopPBuckets - 1);
  };
  const auto mass_of = [&](const TokenCandidate& c) {
    return static_cast<double>(std::exp(c.logit - max_logit));
  };
  std::fill(bucket_mass_.begin(), bucket_mass_.end(), 0.0);
  for (const TokenCandidate& c : items) bucket_mass_[bucket_of(c)] += mass_of(c);
  double total = 0.0;
  for (double mass : bucket_mass_) total += mass;
  const double target = static_cast<double>(p_) * total;

  size_t boundary = kTopPBuckets - 1;
  double cumulative = 0.0;
  for (size_t b = 0; b < kTopPBuckets; ++b) {
    if (cumulative + bucket_mass_[b] >= target) {
      boundary = b;
      break;
    }
    cumulative += bucket_mass_[b];
  }
  boundary_.clear();
  for (const TokenCandidate& c : items) {
    if (bucket_of(c) == boundary) boundary_.push_back(c);
  }
  if (boundary_.empty()) return;  // cannot happen: the crossing bucket has mass
  std::sort(boundary_.begin(), boundary_.end(), RanksBefore);
  TokenCandidate cutoff = boundary_.back();  // should rounding keep the sum short of the target
  for (const TokenCandidate& c : boundary_) {
    cumulative += mass_of(c);
    if (cumulative >= target) {
      cutoff = c;
      break;
    }
  }
  // Keep everything up to and including the cutoff in the total order, in the current order.
  size_t out = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (RanksBefore(items[i], cutoff) || items[i].id == cutoff.id) items[out++] = items[i];
  }
  items.resize(out);
  candidates.dense = false;
}

void MinPStage::Apply(CandidateList& candidates) {
  auto& items = candidates.items;
  if (min_p_ <= 0.0f || items.empty()) return;
  const float max_logit = MaxLogit(candidates);
  if (max_logit == kNegInf) return;
  const float threshold = max_logit + std::log(min_p_);
  size_t out = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].logit >= threshold) items[out++] = items[i];
  }
  if (out != items.size()) {
    items.resize(out);
    candidates.dense = false;
  }
}

void TemperatureStage::Apply(CandidateList& candidates) {
  if (temperature_ <= 0.0f || temperature_ == 1.0f) return;
  const float inv = 1.0f / temperature_;
  for (TokenCandidate& c : candidates.items) c.logit *= inv;
}

void GreedyPicker::Apply(CandidateList& candidates) {
  candidates.selected = candidates.ArgMax();
  if (candidates.selected >= 0) candidates.items[candidates.selected].prob = 1.0f;
}

void DistributionPicker::Apply(CandidateList& candidates) {
  auto& items = candidates.items;
  const float max_logit = MaxLogit(candidates);
  if (max_logit == kNegInf) {  // nothing has any mass: fall back to a deterministic choice
    candidates.selected = candidates.ArgMax();
    if (candidates.selected >= 0) items[candidates.selected].prob = 1.0f;
    return;
  }
  for (TokenCandidate& c : items) c.prob = std::exp(c.logit - max_logit);
  const double total = LaneSum(items.size(), [&](size_t i) { return items[i].prob; });
  const double target = rng_.NextDouble() * total;
  double cumulative = 0.0;
  int32_t selected = -1;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].prob <= 0.0f) continue;
    cumulative += items[i].prob;
    selected = static_cast<int32_t>(i);  // the last one with mass, should rounding leave us short
    if (cumulative > target) break;
  }
  candidates.selected = selected;
  const float inv_total = static_cast<float>(1.0 / total);
  for (TokenCandidate& c : items) c.prob *= inv_total;
}

}  // namespace locai::engine
