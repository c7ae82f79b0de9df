#include "engine/kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/kernels/fp16.h"
#include "engine/kernels/test_util.h"

namespace locai::engine {
namespace {

using testing::RandomFloats;

const int64_t kSizes[] = {1, 7, 8, 15, 16, 33, 1000};

std::vector<uint16_t> ToF16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = F32ToFp16(v[i]);
  return out;
}

TEST(OpsTest, RmsNorm) {
  for (int64_t n : kSizes) {
    const std::vector<float> x = RandomFloats(n, 1, 3.0f), w = RandomFloats(n, 2);
    std::vector<float> out(n), out_unweighted(n);
    RmsNorm(x.data(), w.data(), out.data(), n, 1e-5f);
    RmsNorm(x.data(), nullptr, out_unweighted.data(), n, 1e-5f);
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(out[i], x[i] * scale * w[i], 1e-5 * std::fabs(x[i] * scale * w[i]) + 1e-6);
      EXPECT_NEAR(out_unweighted[i], x[i] * scale, 1e-5 * std::fabs(x[i] * scale) + 1e-6);
    }
    std::vector<float> in_place = x;  // out may alias x
    RmsNorm(in_place.data(), w.data(), in_place.data(), n, 1e-5f);
    for (int64_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(in_place[i], out[i]);
  }
}

TEST(OpsTest, DotsAndAxpy) {
  for (int64_t n : kSizes) {
    const std::vector<float> a = RandomFloats(n, 3), b = RandomFloats(n, 4);
    const std::vector<uint16_t> a16 = ToF16(a);
    double dot = 0, dot16 = 0;
    for (int64_t i = 0; i < n; ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      dot16 += static_cast<double>(Fp16ToF32(a16[i])) * b[i];
    }
    const double tol = 1e-5 * std::sqrt(static_cast<double>(n)) + 1e-6;
    EXPECT_NEAR(DotF32(a.data(), b.data(), n), dot, tol) << n;
    EXPECT_NEAR(DotF16F32(a16.data(), b.data(), n), dot16, tol) << n;

    std::vector<float> y = b, y32 = b;
    AxpyF16(0.75f, a16.data(), y.data(), n);
    AxpyF32(-1.5f, a.data(), y32.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(y[i], b[i] + 0.75 * Fp16ToF32(a16[i]), 1e-6 + 1e-6 * std::fabs(b[i]));
      EXPECT_NEAR(y32[i], b[i] - 1.5 * a[i], 1e-6 + 1e-6 * std::fabs(b[i]));
    }
  }
}

TEST(OpsTest, Softmax) {
  for (int64_t n : kSizes) {
    std::vector<float> x = RandomFloats(n, 5, 4.0f);
    x[0] = -200.0f;                   // far below the max: exp underflows to ~0
    const std::vector<float> in = x;  // f32 exp(x - max): ~|x - max| ulp relative error
    SoftmaxInPlace(x.data(), n);
    double max = in[0];
    for (float v : in) max = std::max<double>(max, v);
    double sum = 0;
    for (float v : in) sum += std::exp(v - max);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double expected = std::exp(in[i] - max) / sum;
      EXPECT_NEAR(x[i], expected, 5e-6 * expected + 1e-30) << n << " " << i;
      total += x[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

TEST(OpsTest, SiluMul) {
  for (int64_t n : kSizes) {
    std::vector<float> gate = RandomFloats(n, 6, 5.0f);
    const std::vector<float> up = RandomFloats(n, 7);
    if (n > 3) {
      gate[1] = -100.0f;  // exp(-g) overflows the f32 range: silu -> -0
      gate[2] = 100.0f;
    }
    std::vector<float> out(n);
    SiluMul(gate.data(), up.data(), out.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double g = gate[i];
      const double expected = g / (1.0 + std::exp(-g)) * up[i];
      EXPECT_NEAR(out[i], expected, 1e-6 * std::fabs(expected) + 1e-7) << n << " " << i;
    }
  }
}

}  // namespace
}  // namespace locai::engine
