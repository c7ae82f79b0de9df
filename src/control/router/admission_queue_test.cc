#include "control/router/admission_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace locai::control::router {
namespace {

using std::chrono::milliseconds;

TEST(AdmissionQueue, AdmitsUpToCapacityAndReleases) {
  AdmissionQueue queue(
      AdmissionQueueOptions{.capacity = 2, .max_waiting = 4, .max_wait = milliseconds(1000)});
  Result<AdmissionQueue::Ticket> a = queue.Admit(milliseconds(0));
  Result<AdmissionQueue::Ticket> b = queue.Admit(milliseconds(0));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(queue.running(), 2u);
  Result<AdmissionQueue::Ticket> c = queue.Admit(milliseconds(0));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), StatusCode::kResourceExhausted);
  a->Release();
  EXPECT_EQ(queue.running(), 1u);
  EXPECT_TRUE(queue.Admit(milliseconds(0)));  // admitted and released at once
  EXPECT_EQ(queue.running(), 1u);
}

TEST(AdmissionQueue, WaitTimesOutWithRetryAfter) {
  AdmissionQueue queue(
      AdmissionQueueOptions{.capacity = 1, .max_waiting = 4, .max_wait = milliseconds(5000)});
  auto running = queue.Admit();
  ASSERT_TRUE(running);
  auto start = std::chrono::steady_clock::now();
  Result<AdmissionQueue::Ticket> late = queue.Admit(milliseconds(60));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), StatusCode::kResourceExhausted);
  EXPECT_GE(waited, milliseconds(60));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_EQ(RetryAfterSeconds(late.error()), 1);
  EXPECT_EQ(queue.waiting(), 0u);
  // A wait longer than the queue allows is cut to max_wait.
  AdmissionQueue short_queue(
      AdmissionQueueOptions{.capacity = 0, .max_waiting = 1, .max_wait = milliseconds(30)});
  start = std::chrono::steady_clock::now();
  Result<AdmissionQueue::Ticket> cut = short_queue.Admit(milliseconds(60'000));
  ASSERT_FALSE(cut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST(AdmissionQueue, FullQueueRefusesAtOnce) {
  AdmissionQueue queue(
      AdmissionQueueOptions{.capacity = 1, .max_waiting = 1, .max_wait = milliseconds(3000)});
  auto running = queue.Admit();
  ASSERT_TRUE(running);
  std::thread waiter([&] { EXPECT_TRUE(queue.Admit(milliseconds(3000))); });
  while (queue.waiting() == 0) std::this_thread::yield();
  auto start = std::chrono::steady_clock::now();
  Result<AdmissionQueue::Ticket> refused = queue.Admit(milliseconds(3000));
  ASSERT_FALSE(refused);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  EXPECT_NE(refused.error().message().find("queue is full"), std::string::npos);
  EXPECT_EQ(RetryAfterSeconds(refused.error()), 3);
  running->Release();  // the waiter gets the slot
  waiter.join();
  EXPECT_EQ(queue.running(), 0u);
}

TEST(AdmissionQueue, WaitersAreServedInArrivalOrder) {
  AdmissionQueue queue(
      AdmissionQueueOptions{.capacity = 1, .max_waiting = 8, .max_wait = milliseconds(5000)});
  auto running = queue.Admit();
  ASSERT_TRUE(running);
  std::mutex order_mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto ticket = queue.Admit();
      ASSERT_TRUE(ticket);
      std::lock_guard lock(order_mu);
      order.push_back(i);
    });
    while (queue.waiting() != static_cast<size_t>(i + 1)) std::this_thread::yield();
  }
  running->Release();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(AdmissionQueue, RaisingCapacityAdmitsWaiters) {
  AdmissionQueue queue(
      AdmissionQueueOptions{.capacity = 0, .max_waiting = 8, .max_wait = milliseconds(5000)});
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  std::vector<AdmissionQueue::Ticket> tickets(2);
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto ticket = queue.Admit();
      ASSERT_TRUE(ticket);
      tickets[i] = std::move(*ticket);
      ++admitted;
    });
  }
  while (queue.waiting() != 2) std::this_thread::yield();
  EXPECT_EQ(admitted.load(), 0);
  queue.SetCapacity(2);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 2);
  EXPECT_EQ(queue.running(), 2u);
  tickets.clear();
  EXPECT_EQ(queue.running(), 0u);
}

TEST(AdmissionQueue, RetryAfterSecondsReadsOnlyQueueErrors) {
  EXPECT_EQ(RetryAfterSeconds(Status::ResourceExhausted("x; retry after 12 s")), 12);
  EXPECT_FALSE(RetryAfterSeconds(Status::Unavailable("x; retry after 12 s")).has_value());
  EXPECT_FALSE(RetryAfterSeconds(Status::ResourceExhausted("quota")).has_value());
  EXPECT_FALSE(RetryAfterSeconds(Status::Ok()).has_value());
}

}  // namespace
}  // namespace locai::control::router
