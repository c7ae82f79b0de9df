// The stages a Sampler chains: each takes the candidate list, transforms or truncates it, and the
// last one (a picker) selects a token. Modelled on llama.cpp's llama_sampler_i interface.
//
// Determinism: stages that reorder leave the list either in token-id order (untouched) or sorted
// by the total order (logit descending, id ascending), so the result never depends on how a
// standard library implements nth_element or sort.
// Thread-safety: a stage belongs to one Sampler and is used from one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/sampling/rng.h"

namespace locai::engine {

struct TokenCandidate {
  int32_t id;
  float logit;  // as transformed by the stages so far
  float prob;   // filled by the picker (softmax of the surviving logits); 0 before
};

// The candidates a chain works on. The vector keeps its capacity between tokens, so a Sampler
// allocates only on its first token.
struct CandidateList {
  std::vector<TokenCandidate> items;
  bool dense = true;      // items[i].id == i for every i: nothing removed or reordered yet
  bool sorted = false;    // items ordered by (logit descending, id ascending)
  int32_t selected = -1;  // index into items chosen by the picker, -1 before

  // Resets to the dense list of `logits` (NaN becomes -infinity).
  void Fill(std::span<const float> logits);
  // Sorts the whole list by (logit descending, id ascending) if it is not already.
  void Sort();
  // Moves the best `k` candidates (by the total order) to the front, sorted, leaving the rest
  // after them in unspecified order; requires k <= size. Marks nothing; the caller truncates.
  void PartialSortFront(size_t begin, size_t k);
  // Index of the largest logit, ties going to the lowest id; -1 when empty.
  int32_t ArgMax() const;
};

// True when a ranks before b in the total order used for sorting candidates.
inline bool RanksBefore(const TokenCandidate& a, const TokenCandidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

class SamplerStage {
 public:
  virtual ~SamplerStage() = default;
  virtual std::string_view Name() const = 0;
  virtual void Apply(CandidateList& candidates) = 0;
  // A token was appended to the sequence (generated == false for prompt tokens).
  virtual void Accept(int32_t /*token*/, bool /*generated*/) {}
  // Forgets all accepted tokens (and restarts any random stream).
  virtual void Reset() {}
};

// Adds a fixed bias to some tokens' logits.
class LogitBiasStage final : public SamplerStage {
 public:
  // Ids outside [0, n_vocab) are dropped; repeated ids add up.
  LogitBiasStage(std::vector<std::pair<int32_t, float>> bias, int32_t n_vocab);
  std::string_view Name() const override { return "logit_bias"; }
  void Apply(CandidateList& candidates) override;

 private:
  std::vector<std::pair<int32_t, float>> bias_;
};

// llama.cpp repetition penalty over the last `last_n` accepted tokens (prompt and generated).
class RepetitionPenaltyStage final : public SamplerStage {
 public:
  RepetitionPenaltyStage(float penalty, int32_t last_n, int32_t n_vocab);
  std::string_view Name() const override { return "repetition_penalty"; }
  void Apply(CandidateList& candidates) override;
  void Accept(int32_t token, bool generated) override;
  void Reset() override;

 private:
  float penalty_;
  size_t last_n_;
  int32_t n_vocab_;
  std::vector<int32_t> ring_;     // the window; grows to last_n_ then wraps
  size_t next_ = 0;               // where the next token goes once the ring is full
  std::vector<int32_t> scratch_;  // window ids, sorted and deduplicated per Apply
};

// OpenAI presence and frequency penalties over generated tokens.
class PresenceFrequencyStage final : public SamplerStage {
 public:
  PresenceFrequencyStage(float presence, float frequency, int32_t n_vocab);
  std::string_view Name() const override { return "presence_frequency"; }
  void Apply(CandidateList& candidates) override;
  void Accept(int32_t token, bool generated) override;
  void Reset() override;

 private:
  float presence_;
  float frequency_;
  std::vector<int32_t> counts_;  // by token id
  std::vector<int32_t> seen_;    // ids with counts_ > 0, in first-seen order
};

// Keeps the k best candidates, sorted. Small k uses one pass with a k-element heap (about one
// comparison per candidate) rather than nth_element over the whole vocabulary.
class TopKStage final : public SamplerStage {
 public:
  explicit TopKStage(int32_t k);
  std::string_view Name() const override { return "top_k"; }
  void Apply(CandidateList& candidates) override;

 private:
  int32_t k_;
  std::vector<TokenCandidate> heap_;
};

// Keeps the smallest prefix (in the total order) whose softmax mass reaches p; at least one token.
// On a large unsorted list it avoids sorting: candidates are bucketed by distance from the maximum
// logit, the bucket where the cumulative mass crosses p is found, and only that bucket is sorted.
// The survivors then stay in token-id order.
class TopPStage final : public SamplerStage {
 public:
  explicit TopPStage(float p);
  std::string_view Name() const override { return "top_p"; }
  void Apply(CandidateList& candidates) override;

 private:
  void ApplySorted(CandidateList& candidates) const;

  float p_;
  std::vector<double> bucket_mass_;
  std::vector<TokenCandidate> boundary_;  // the crossing bucket's candidates
};

// Keeps tokens with probability >= min_p * max probability (logit >= max + log(min_p)).
class MinPStage final : public SamplerStage {
 public:
  explicit MinPStage(float min_p) : min_p_(min_p) {}
  std::string_view Name() const override { return "min_p"; }
  void Apply(CandidateList& candidates) override;

 private:
  float min_p_;
};

class TemperatureStage final : public SamplerStage {
 public:
  explicit TemperatureStage(float temperature) : temperature_(temperature) {}
  std::string_view Name() const override { return "temperature"; }
  void Apply(CandidateList& candidates) override;

 private:
  float temperature_;
};

// Picks the largest logit, ties to the lowest id. Sets prob to 1 for it and 0 elsewhere.
class GreedyPicker final : public SamplerStage {
 public:
  std::string_view Name() const override { return "greedy"; }
  void Apply(CandidateList& candidates) override;
};

// Softmax over the surviving candidates, then one seeded draw.
class DistributionPicker final : public SamplerStage {
 public:
  explicit DistributionPicker(uint64_t seed) : seed_(seed), rng_(seed) {}
  std::string_view Name() const override { return "distribution"; }
  void Apply(CandidateList& candidates) override;
  void Reset() override { rng_.Seed(seed_); }

 private:
  uint64_t seed_;
  SamplingRng rng_;
};

}  // namespace locai::engine
