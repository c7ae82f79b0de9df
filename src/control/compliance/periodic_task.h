// PeriodicTask: runs a function on its own thread every `interval` (first run one interval after
// start), until destroyed. Used by Compliance for the audit retention schedule. The destructor
// wakes the thread, waits for a run in progress to finish and joins it. The interval is measured
// on the steady clock (the task itself reads the injected wall clock to decide what is old).
// Threading: constructed and destroyed by one owner; `task` runs on the task's thread only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace locai::control::compliance {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  void Loop();

  const std::chrono::milliseconds interval_;
  const std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: starts after the state above exists
};

}  // namespace locai::control::compliance
