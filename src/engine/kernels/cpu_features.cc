#include "engine/kernels/cpu_features.h"

namespace locai::engine {

namespace {

CpuFeatures Detect() {
  CpuFeatures features;
#if LOCAI_X86
  __builtin_cpu_init();
  features.avx2_fma_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("f16c");
  features.avx512_vnni = features.avx2_fma_f16c && __builtin_cpu_supports("avx512f") &&
                         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512vnni");
#endif
  return features;
}

}  // namespace

const CpuFeatures& HostCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

}  // namespace locai::engine
