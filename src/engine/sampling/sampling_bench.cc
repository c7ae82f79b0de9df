// engine_sampling_bench: timings of Sampler::Sample() and JSON-mode masking on a 128256-token
// vocabulary (Llama 3's). Usage: engine_sampling_bench [path/to/vocab-bpe.gguf]
//
// With a vocabulary GGUF (default: the shared conformance one, if present) the masking runs over
// its real token pieces (byte-level BPE decoded, control tokens empty); otherwise over synthetic
// pieces. Logits are seeded Gaussians, "peaked" ones adding a few dominant tokens as a trained
// model's usually are.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "engine/sampling/json_prefix_validator.h"
#include "engine/sampling/json_token_mask.h"
#include "engine/sampling/rng.h"
#include "engine/sampling/sampler.h"

namespace {

using locai::engine::JsonPrefixValidator;
using locai::engine::JsonTokenMasker;
using locai::engine::SampledToken;
using locai::engine::Sampler;
using locai::engine::SamplingParams;
using locai::engine::SamplingRng;

constexpr int32_t kVocab = 128256;

#ifndef LOCAI_BENCH_VOCAB
#define LOCAI_BENCH_VOCAB ""
#endif

// Minimal GGUF reading for this benchmark only: the token strings and types.
class GgufVocabReader {
 public:
  explicit GgufVocabReader(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    data_.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }

  bool Read(std::vector<std::string>& tokens, std::vector<int32_t>& types) {
    if (data_.size() < 24 || data_.compare(0, 4, "GGUF") != 0) return false;
    pos_ = 4;
    U32();
    U64();
    const uint64_t kv_count = U64();
    for (uint64_t i = 0; i < kv_count && ok_; ++i) {
      const std::string key = Str();
      const uint32_t type = U32();
      if (type == 9 && (key == "tokenizer.ggml.tokens" || key == "tokenizer.ggml.token_type")) {
        const uint32_t elem = U32();
        const uint64_t n = U64();
        for (uint64_t j = 0; j < n && ok_; ++j) {
          if (elem == 8) tokens.push_back(Str());
          if (elem == 5) types.push_back(static_cast<int32_t>(U32()));
          if (elem != 8 && elem != 5) return false;
        }
      } else {
        Skip(type);
      }
    }
    return ok_ && !tokens.empty();
  }

 private:
  uint64_t Bytes(size_t n) {
    if (pos_ + n > data_.size()) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  uint32_t U32() { return static_cast<uint32_t>(Bytes(4)); }
  uint64_t U64() { return Bytes(8); }
  std::string Str() {
    const uint64_t n = U64();
    if (!ok_ || pos_ + n > data_.size()) {
      ok_ = false;
      return {};
    }
    std::string s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void Skip(uint32_t type) {
    static const size_t kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    if (type == 8) {
      Str();
    } else if (type == 9) {
      const uint32_t elem = U32();
      const uint64_t n = U64();
      for (uint64_t j = 0; j < n && ok_; ++j) Skip(elem);
    } else if (type < std::size(kSizes)) {
      Bytes(kSizes[type]);
    } else {
      ok_ = false;
    }
  }

  std::string data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Byte-level BPE stores each byte as a printable code point (GPT-2's scheme): printable Latin-1
// bytes map to themselves, the other 68 bytes to U+0100 onwards in byte order.
std::string DecodeByteLevel(const std::string& token) {
  int32_t to_byte[512];
  std::fill(std::begin(to_byte), std::end(to_byte), -1);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    to_byte[printable ? b : next++] = b;
  }
  std::string out;
  for (size_t i = 0; i < token.size();) {
    const auto c = static_cast<uint8_t>(token[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < token.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(token[i + 1]) & 0x3Fu);
      len = 2;
    }
    out.push_back(cp < 512 && to_byte[cp] >= 0 ? static_cast<char>(to_byte[cp]) : '?');
    i += len;
  }
  return out;
}

std::vector<std::string> LoadPieces(const std::string& path, bool& real) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  real = !path.empty() && GgufVocabReader(path).Read(tokens, types) &&
         static_cast<int32_t>(tokens.size()) == kVocab;
  std::vector<std::string> pieces(kVocab);
  if (real) {
    for (int32_t id = 0; id < kVocab; ++id) {
      const bool control = id < static_cast<int32_t>(types.size()) && types[id] == 3;
      pieces[id] = control ? "" : DecodeByteLevel(tokens[id]);
    }
    return pieces;
  }
  // Synthetic: words with and without a leading space, punctuation, digits, some UTF-8.
  SamplingRng rng(7);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz      {}[]\":,.0123456789\\";
  for (auto& piece : pieces) {
    const size_t len = 1 + rng.Next() % 8;
    for (size_t i = 0; i < len; ++i) piece.push_back(alphabet[rng.Next() % alphabet.size()]);
    if (rng.Next() % 10 == 0) piece += "\xC3\xA9";
  }
  return pieces;
}

std::vector<float> Logits(uint64_t seed, bool peaked) {
  SamplingRng rng(seed);
  std::vector<float> logits(kVocab);
  for (float& logit : logits) {
    const double u1 = rng.NextDouble() + 1e-12;
    const double u2 = rng.NextDouble();
    logit = static_cast<float>(2.0 * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307 * u2));
  }
  if (peaked) {
    for (int i = 0; i < 8; ++i) logits[rng.Next() % kVocab] += 12.0f - static_cast<float>(i);
  }
  return logits;
}

// Median time of one call: the machine may be shared, and the median shrugs off preemption.
double MicrosPerCall(int iterations, const std::function<void(int)>& fn) {
  fn(0);  // warm-up (first-call allocations)
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn(i);
    times.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::nth_element(times.begin(), times.begin() + iterations / 2, times.end());
  return times[iterations / 2];
}

void BenchSample(const char* name, const SamplingParams& params, bool peaked) {
  std::vector<std::vector<float>> logits;
  for (uint64_t s = 0; s < 8; ++s) logits.push_back(Logits(s, peaked));
  Sampler sampler(params, kVocab);
  SampledToken out;
  const double us = MicrosPerCall(200, [&](int i) {
    sampler.Sample(logits[i % logits.size()], out);
    sampler.Accept(out.id);
  });
  std::printf("  %-52s %9.1f us/token  (%zu candidates left)\n", name, us,
              sampler.LastCandidates().size());
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("Sampler::Sample, vocabulary %d\n", kVocab);
  SamplingParams typical;
  typical.temperature = 0.8f;
  typical.top_k = 40;
  typical.top_p = 0.95f;
  typical.min_p = 0.05f;
  typical.repeat_penalty = 1.1f;
  typical.seed = 1;
  BenchSample("typical (T0.8 k40 p0.95 minp0.05 rep1.1), peaked", typical, true);
  BenchSample("typical, flat logits", typical, false);
  SamplingParams greedy;
  greedy.temperature = 0.0f;
  BenchSample("greedy", greedy, true);
  greedy.compute_logprobs = false;
  BenchSample("greedy, compute_logprobs false", greedy, true);
  SamplingParams typical_nolp = typical;
  typical_nolp.compute_logprobs = false;
  BenchSample("typical, compute_logprobs false", typical_nolp, true);
  SamplingParams openai;
  openai.temperature = 1.0f;
  openai.top_p = 0.95f;
  openai.presence_penalty = 0.5f;
  openai.frequency_penalty = 0.5f;
  BenchSample("top_p 0.95 only (no top_k), peaked", openai, true);
  BenchSample("top_p 0.95 only (no top_k), flat logits (worst case)", openai, false);
  SamplingParams full;
  full.temperature = 0.7f;
  BenchSample("temperature only (full distribution)", full, true);
  SamplingParams logprobs = typical;
  logprobs.top_logprobs = 20;
  BenchSample("typical + top_logprobs 20", logprobs, true);

  const std::string path = argc > 1 ? argv[1] : LOCAI_BENCH_VOCAB;
  bool real = false;
  const std::vector<std::string> pieces = LoadPieces(path, real);
  std::printf("\nJSON-mode masking, %d pieces (%s)\n", kVocab,
              real ? "Llama 3 vocabulary" : "synthetic pieces");
  JsonTokenMasker masker(pieces);
  const std::vector<float> raw = Logits(99, true);
  std::vector<float> logits(kVocab);
  for (const char* prefix : {"", "{", "{\"na", "{\"name\":", "{\"name\": \"Ada Love", "{\"n\":12",
                             "{\"a\":[1,2,{\"b\":tr", "{\"a\":\"\\u00"}) {
    JsonPrefixValidator validator;
    validator.Advance(prefix);
    // Each timed call includes restoring the logits (a 0.5 MB copy), as an engine step would.
    const double plain_us = MicrosPerCall(31, [&](int) {
      logits = raw;
      locai::engine::MaskInvalidTokens(validator, pieces, logits, kVocab - 1);
    });
    size_t allowed = 0;
    for (float l : logits) allowed += std::isinf(l) ? 0 : 1;
    const double fast_us = MicrosPerCall(31, [&](int) {
      logits = raw;
      masker.Mask(validator, logits, kVocab - 1);
    });
    std::printf(
        "  after %-22s MaskInvalidTokens %7.1f us  JsonTokenMasker %7.1f us  (%zu allowed)\n",
        ("'" + std::string(prefix) + "'").c_str(), plain_us, fast_us, allowed);
  }
  const double copy_us = MicrosPerCall(31, [&](int) { logits = raw; });
  std::printf("  (restoring the logits alone: %.1f us)\n", copy_us);
  return 0;
}
