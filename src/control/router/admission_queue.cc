#include "control/router/admission_queue.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace locai::control::router {
namespace {

constexpr std::string_view kRetryAfter = "retry after ";

std::string RetryAfterText(std::chrono::milliseconds hint) {
  // A whole number of seconds, at least 1: a client that retries at once only queues again.
  int64_t seconds = std::max<int64_t>(1, (hint.count() + 999) / 1000);
  return std::string(kRetryAfter) + std::to_string(seconds) + " s";
}

}  // namespace

AdmissionQueue::Ticket& AdmissionQueue::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    queue_ = std::exchange(other.queue_, nullptr);
  }
  return *this;
}

void AdmissionQueue::Ticket::Release() {
  if (queue_ == nullptr) return;
  std::exchange(queue_, nullptr)->ReleaseSlot();
}

AdmissionQueue::AdmissionQueue(AdmissionQueueOptions options)
    : options_(options), capacity_(options.capacity) {}

Result<AdmissionQueue::Ticket> AdmissionQueue::Admit(std::chrono::milliseconds max_wait) {
  max_wait = std::clamp(max_wait, std::chrono::milliseconds(0), options_.max_wait);
  std::unique_lock lock(mu_);
  if (waiters_.empty() && running_ < capacity_) {
    ++running_;
    return Ticket(this);
  }
  if (waiters_.size() >= options_.max_waiting) {
    return Err(Status::ResourceExhausted("request queue is full (" +
                                         std::to_string(waiters_.size()) + " waiting); " +
                                         RetryAfterText(options_.max_wait)));
  }
  const uint64_t me = next_waiter_++;
  waiters_.push_back(me);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  bool admitted = changed_.wait_until(
      lock, deadline, [this, me] { return waiters_.front() == me && running_ < capacity_; });
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), me));
  // The next waiter may now be at the head with a free slot (or we left the head on timeout).
  changed_.notify_all();
  if (!admitted) {
    return Err(Status::ResourceExhausted("no capacity within " + std::to_string(max_wait.count()) +
                                         " ms; " + RetryAfterText(max_wait)));
  }
  ++running_;
  return Ticket(this);
}

void AdmissionQueue::SetCapacity(size_t capacity) {
  {
    std::lock_guard lock(mu_);
    capacity_ = capacity;
  }
  changed_.notify_all();
}

void AdmissionQueue::ReleaseSlot() {
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  changed_.notify_all();
}

size_t AdmissionQueue::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

size_t AdmissionQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

std::optional<int64_t> RetryAfterSeconds(const Status& status) {
  if (status.code() != StatusCode::kResourceExhausted) return std::nullopt;
  const std::string& message = status.message();
  size_t at = message.rfind(kRetryAfter);
  if (at == std::string::npos) return std::nullopt;
  const char* begin = message.data() + at + kRetryAfter.size();
  const char* end = message.data() + message.size();
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(begin, end, seconds);
  if (ec != std::errc() || std::string_view(ptr, end - ptr) != " s") return std::nullopt;
  return seconds;
}

}  // namespace locai::control::router
