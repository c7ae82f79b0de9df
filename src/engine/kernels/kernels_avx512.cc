// The SIMD kernels of kernels_x86.inc compiled for AVX2, FMA, F16C, AVX512F/BW/VL and AVX512-VNNI,
// selected at run time by BestKernels() only on CPUs that have these features. Standard headers are
// included before the target pragma so that no inline library code is compiled for the wider
// instruction set.
#include <cstdint>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/quant_blocks.h"

#if LOCAI_X86
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(                                                      \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")
#endif

#define LOCAI_KERNEL_NS avx512
#define LOCAI_KERNEL_NAME "avx512vnni"
#define LOCAI_KERNEL_VNNI 1
#define LOCAI_KERNEL_TILE_ROWS 4
#define LOCAI_KERNEL_TILE_TOKENS 4
#ifndef LOCAI_KERNEL_PREFETCH
#define LOCAI_KERNEL_PREFETCH 1024
#endif
#include "engine/kernels/kernels_x86.inc"

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace locai::engine::internal {
const KernelSet* Avx512VnniKernels() { return &avx512::Set(); }
}  // namespace locai::engine::internal

#else

namespace locai::engine::internal {
const KernelSet* Avx512VnniKernels() { return nullptr; }
}  // namespace locai::engine::internal

#endif
