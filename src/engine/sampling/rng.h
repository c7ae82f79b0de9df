// SamplingRng: a small, portable pseudo-random generator for token sampling.
//
// xoshiro256** (Blackman and Vigna) seeded through splitmix64, with our own conversion to a
// uniform double, so that the same seed yields the same stream on every compiler, standard library
// and platform (std::mt19937 is portable but std::uniform_real_distribution is not).
// Thread-safety: a value type; one instance must not be used from two threads at once.
#pragma once

#include <cstdint>

namespace locai::engine {

class SamplingRng {
 public:
  explicit SamplingRng(uint64_t seed = 0) { Seed(seed); }

  // Restarts the stream for `seed`; every seed (including 0) is valid.
  void Seed(uint64_t seed) {
    uint64_t sm = seed;
    for (uint64_t& word : state_) word = SplitMix64(sm);
  }

  // The next 64 random bits.
  uint64_t Next() {
    const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
    const uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = RotateLeft(state_[3], 45);
    return result;
  }

  // A uniform double in [0, 1): the top 53 bits scaled by 2^-53 (exact, no rounding to 1.0).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t& x) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace locai::engine
