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

void ThreadPool::RunChunk(int thread_idx) {
  const int64_t n = job_n_;
  const int64_t grain = job_grain_;
  const int64_t units = (n + grain - 1) / grain;
  const int64_t per = units / num_threads_;
  const int64_t extra = units % num_threads_;
  const int64_t first = thread_idx * per + std::min<int64_t>(thread_idx, extra);
  const int64_t count = per + (thread_idx < extra ? 1 : 0);
  const int64_t begin = std::min(n, first * grain);
  const int64_t end = std::min(n, (first + count) * grain);
  if (begin < end) (*job_fn_)(begin, end, thread_idx);
}

void ThreadPool::ParallelFor(int64_t n, const RangeFn& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (num_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  job_fn_ = &fn;
  job_n_ = n;
  job_grain_ = grain;
  pending_.store(num_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  RunChunk(0);
  while (pending_.load(std::memory_order_acquire) != 0) LOCAI_CPU_RELAX();
}

void ThreadPool::WorkerLoop(int thread_idx) {
  uint64_t seen = 0;
  while (true) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
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
    RunChunk(thread_idx);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace locai
