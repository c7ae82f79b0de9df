// CPU feature detection for choosing SIMD kernels at run time, and the attribute macros that the
// SIMD translation units use so that the rest of the binary runs on any x86-64 (or non-x86) CPU.
// Thread-safety: pure functions (the results are computed once, on first use, thread-safely).
#pragma once

namespace locai::engine {

struct CpuFeatures {
  bool avx2_fma_f16c = false;  // AVX2 + FMA + F16C: the baseline SIMD kernels
  bool avx512_vnni = false;    // AVX512F/BW/VL + AVX512-VNNI: VNNI on 256-bit vectors
};

// The features of the CPU running this process.
const CpuFeatures& HostCpuFeatures();

}  // namespace locai::engine

// Building with -DLOCAI_NO_SIMD compiles the portable code only, as on a non-x86 target.
#if (defined(__x86_64__) || defined(__i386__)) && !defined(LOCAI_NO_SIMD)
#define LOCAI_X86 1
#define LOCAI_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define LOCAI_X86 0
#define LOCAI_TARGET_AVX2
#endif
