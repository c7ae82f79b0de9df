// LaneSum: a floating-point sum over [0, n) with four accumulators in a fixed order.
//
// As deterministic as a plain loop (the order never depends on the platform or the compiler), but
// without one long chain of dependent additions, which made the sums over a 128k vocabulary
// latency-bound. Internal to engine/sampling.
#pragma once

#include <cstddef>

namespace locai::engine {

template <typename Term>
double LaneSum(size_t n, Term&& term) {
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (size_t lane = 0; lane < 4; ++lane) acc[lane] += term(i + lane);
  }
  for (; i < n; ++i) acc[0] += term(i);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

}  // namespace locai::engine
