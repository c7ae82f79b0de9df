// The SIMD kernels of kernels_x86.inc compiled for avx2,fma,f16c, selected at
// run time by BestKernels() only on CPUs that have these features. Standard headers are included
// before the target pragma so that no inline library code is compiled for the wider instruction
// set.
#include <cstdint>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/fp16.h"
#include "engine/kernels/kernels.h"
#include "engine/kernels/quant_blocks.h"

#if LOCAI_X86
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

#define LOCAI_KERNEL_NS avx2
#define LOCAI_KERNEL_NAME "avx2"
#define LOCAI_KERNEL_VNNI 0
#define LOCAI_KERNEL_TILE_ROWS 4
#define LOCAI_KERNEL_TILE_TOKENS 2
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
const KernelSet* Avx2Kernels() { return &avx2::Set(); }
}  // namespace locai::engine::internal

#else

namespace locai::engine::internal {
const KernelSet* Avx2Kernels() { return nullptr; }
}  // namespace locai::engine::internal

#endif
