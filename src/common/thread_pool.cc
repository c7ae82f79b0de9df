#include "common/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOCAI_CPU_RELAX() _mm_pause()
#else
#define LOCAI_CPU_RELAX() ((void)0)
#endif

namespace locai {

namespace {
// Spin iterations before a worker sleeps on the condition variable: about 50-100 us.
constexpr int kSpinIterations = 20000;
}  // namespace

int ThreadPool::HardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int num_threads)
    : num_threads_(num_threads > 0 ? num_threads : HardwareThreads()) {
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::RunChunks(uint32_t generation, int thread_idx) {
  while (true) {
    uint64_t claim = claim_.load(std::memory_order_acquire);
    uint64_t chunk;
    do {
      // Everything a claim depends on is in the claim word itself: a worker still looking at an
      // old job must not read the next job's fields (it could claim a chunk that does not exist).
      if (static_cast<uint32_t>(claim >> 32) != generation) return;
      chunk = claim & 0xffffu;
      const uint64_t limit = (claim >> 16) & 0xffffu;
      if (chunk >= limit) return;
    } while (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel));
    // The job cannot finish while this claimed chunk is outstanding, so its fields are stable.
    const int64_t begin = static_cast<int64_t>(chunk) * job_chunk_;
    const int64_t end = std::min(job_n_, begin + job_chunk_);
    (*job_fn_)(begin, end, thread_idx);
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::ParallelFor(int64_t n, const RangeFn& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (num_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  // A few chunks per thread balance uneven progress without much claiming overhead.
  const int64_t units = (n + grain - 1) / grain;
  const int64_t chunks = std::min<int64_t>({units, int64_t{4} * num_threads_, 0xffff});
  const int64_t units_per_chunk = (units + chunks - 1) / chunks;
  job_fn_ = &fn;
  job_n_ = n;
  job_chunk_ = units_per_chunk * grain;
  job_chunks_ = (n + job_chunk_ - 1) / job_chunk_;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  claim_.store((static_cast<uint64_t>(generation) << 32) |
                   (static_cast<uint64_t>(job_chunks_) << 16),
               std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.store(generation, std::memory_order_release);
  }
  wake_.notify_all();
  RunChunks(generation, 0);
  while (done_.load(std::memory_order_acquire) != job_chunks_) LOCAI_CPU_RELAX();
}

void ThreadPool::WorkerLoop(int thread_idx) {
  uint32_t seen = 0;
  while (true) {
    uint32_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIterations && !stop_.load(); ++spin) {
      LOCAI_CPU_RELAX();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
      if (stop_.load()) return;
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    RunChunks(gen, thread_idx);
  }
}

}  // namespace locai
