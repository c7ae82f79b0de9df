// TaskThreads: runs the registry's long jobs (hashing and validating a finished upload, streaming
// a blob download) on their own threads, so that the server's io threads never block on them.
//
// At most `max_tasks` run at once; Run() refuses more with Unavailable (503) rather than queueing
// without bound. A task gets a `stopping` flag that turns true when the owner shuts down, and
// should return soon after. The destructor sets the flag and joins every thread.
// Thread-safety: Run() and active() from any thread; destroy from the owner thread, never from a
// task.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace locai::control::registry {

class TaskThreads {
 public:
  using Task = std::function<void(const std::atomic<bool>& stopping)>;

  explicit TaskThreads(size_t max_tasks) : max_tasks_(max_tasks) {}
  ~TaskThreads();
  TaskThreads(const TaskThreads&) = delete;
  TaskThreads& operator=(const TaskThreads&) = delete;

  // Starts `task` on a new thread. Unavailable when max_tasks are running or after shutdown began.
  Status Run(Task task);
  // Tasks currently running.
  size_t active() const;

 private:
  struct Slot {
    std::thread thread;
    bool done = false;
  };
  void JoinFinishedLocked();

  const size_t max_tasks_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::list<Slot> slots_;  // guarded by mu_; list: stable addresses for the running threads
};

}  // namespace locai::control::registry
