// AdmissionQueue: a bounded wait for capacity. `capacity` requests run at once (the gateway sets
// it from the nodes' free slots and changes it as they report); a request past that waits, first
// come first served, until a slot frees or its deadline passes. At most `max_waiting` requests
// wait; one more is refused at once.
//
// Admit() returns a Ticket that holds the slot until it is destroyed (or Release()d).
// Errors (both ResourceExhausted, the client's 429; the message ends "retry after N s", which
// RetryAfterSeconds reads back for the Retry-After header):
//   "request queue is full (N waiting) ..."       max_waiting requests are already waiting;
//   "no capacity within N ms ..."                  the deadline passed while waiting.
// A hybrid request treats the second as its cue to fall back to a cloud provider.
// Threading: every method is safe from many threads; Admit() blocks the calling thread (never
// call it on an io_context thread). Tickets must not outlive the queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "common/status.h"

namespace locai::control::router {

struct AdmissionQueueOptions {
  size_t capacity = 1;                         // requests admitted at once
  size_t max_waiting = 64;                     // requests waiting at once
  std::chrono::milliseconds max_wait{30'000};  // the longest wait Admit() allows
};

class AdmissionQueue {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : queue_(std::exchange(other.queue_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Release(); }

    void Release();
    bool held() const { return queue_ != nullptr; }

   private:
    friend class AdmissionQueue;
    explicit Ticket(AdmissionQueue* queue) : queue_(queue) {}
    AdmissionQueue* queue_ = nullptr;
  };

  explicit AdmissionQueue(AdmissionQueueOptions options);
  AdmissionQueue(const AdmissionQueue&) = delete;
  AdmissionQueue& operator=(const AdmissionQueue&) = delete;

  // Waits at most min(max_wait, options.max_wait) (0: no wait) for a slot. See the errors above.
  Result<Ticket> Admit(std::chrono::milliseconds max_wait);
  Result<Ticket> Admit() { return Admit(options_.max_wait); }

  // Changes how many requests run at once; raising it admits waiters at once. Requests already
  // running above a lowered capacity keep their slots.
  void SetCapacity(size_t capacity);

  size_t running() const;
  size_t waiting() const;

 private:
  void ReleaseSlot();

  AdmissionQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  size_t capacity_;               // GUARDED_BY(mu_)
  size_t running_ = 0;            // GUARDED_BY(mu_)
  std::deque<uint64_t> waiters_;  // GUARDED_BY(mu_) arrival numbers, first come first
  uint64_t next_waiter_ = 0;      // GUARDED_BY(mu_)
};

// The N of "retry after N s" in an Admit() error, or nullopt for any other status.
std::optional<int64_t> RetryAfterSeconds(const Status& status);

}  // namespace locai::control::router
