// ThreadPool: a fixed set of worker threads for fork-join data parallelism (the engine's kernels).
//
// ParallelFor splits [0, n) into chunks that the workers and the calling thread claim one at a
// time, returning when every chunk is done. Claiming (rather than one fixed chunk per thread)
// matters on a busy machine: when a worker is descheduled, the others take its share instead of
// the whole pass waiting for it. Workers spin briefly before sleeping, since a forward pass issues
// hundreds of short parallel sections per token and a condition-variable wake-up for each would
// cost more than the work.
// Thread-safety: ParallelFor may be called from one thread at a time (the engine thread that owns
// the pool); the pool is not re-entrant.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace locai {

class ThreadPool {
 public:
  // `num_threads` counts the caller: 1 means no workers are started. 0 picks the number of
  // hardware threads.
  explicit ThreadPool(int num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end, thread_idx) on disjoint chunks covering [0, n). Chunks are multiples of
  // `grain` (except the last), so that kernels can keep whole blocks together.
  using RangeFn = std::function<void(int64_t begin, int64_t end, int thread_idx)>;
  void ParallelFor(int64_t n, const RangeFn& fn, int64_t grain = 1);

  // Number of hardware threads, at least 1.
  static int HardwareThreads();

 private:
  void WorkerLoop(int thread_idx);
  // Claims and runs chunks of job `generation` until none is left.
  void RunChunks(uint32_t generation, int thread_idx);

  const int num_threads_;
  std::vector<std::thread> workers_;

  // The current job, written by ParallelFor before it publishes the job's generation in claim_.
  const RangeFn* job_fn_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_chunk_ = 1;     // elements per chunk
  int64_t job_chunks_ = 0;    // number of chunks
  // (generation << 32) | (chunk count << 16) | next unclaimed chunk. A claim is a compare-and-swap
  // on this one word and reads nothing else, so a worker still looking at an old job can never
  // claim a chunk of the next one.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int64_t> done_{0};  // chunks of the current job completed
  std::atomic<uint32_t> generation_{0};
  std::atomic<bool> stop_{false};

  std::mutex mu_;
  std::condition_variable wake_;
};

}  // namespace locai
