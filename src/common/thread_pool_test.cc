#include "common/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace locai {
namespace {

TEST(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 7, 64, 1000, 1001}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPoolTest, ChunksRespectGrain) {
  ThreadPool pool(3);
  std::atomic<int> bad{0};
  pool.ParallelFor(100, [&](int64_t b, int64_t e, int) {
    if (b % 32 != 0) bad++;
    if (e != 100 && e % 32 != 0) bad++;
  }, 32);
  EXPECT_EQ(bad.load(), 0);
}

TEST(ThreadPoolTest, ManySmallJobsInARow) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 2000; ++round) {
    pool.ParallelFor(4, [&](int64_t b, int64_t e, int) { sum += e - b; });
  }
  EXPECT_EQ(sum.load(), 8000);
}

}  // namespace
}  // namespace locai

namespace locai {
namespace {

// Kernels index per-thread scratch by thread_idx: no two chunks may run at once with the same one.
TEST(ThreadPoolTest, ThreadIndexIsNeverSharedConcurrently) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> in_use(3);
  std::atomic<int> clashes{0};
  for (int round = 0; round < 200; ++round) {
    pool.ParallelFor(64, [&](int64_t, int64_t, int idx) {
      if (in_use[idx].fetch_add(1) != 0) clashes++;
      volatile int sink = 0;
      for (int i = 0; i < 1000; ++i) sink = sink + i;
      in_use[idx].fetch_sub(1);
    });
  }
  EXPECT_EQ(clashes.load(), 0);
}

}  // namespace
}  // namespace locai

namespace locai {
namespace {

// Regression: a worker finishing its look at one job could read the next job's chunk count before
// that job was published, claim a chunk that did not exist and bump the next job's completion
// count, so the caller waited forever (seen as a node that would not stop). Jobs of alternating
// chunk counts, back to back, give that window many chances.
TEST(ThreadPoolTest, JobsOfDifferentSizesBackToBackNeverHang) {
  ThreadPool pool(3);
  std::atomic<int64_t> covered{0};
  int64_t expected = 0;
  for (int round = 0; round < 20000; ++round) {
    const int64_t n = (round % 2 == 0) ? 2 : 12;  // 2 chunks, then 12
    expected += n;
    pool.ParallelFor(n, [&](int64_t b, int64_t e, int) { covered += e - b; });
  }
  EXPECT_EQ(covered.load(), expected);
}

}  // namespace
}  // namespace locai
