#include "control/registry/task_threads.h"

#include <utility>

namespace locai::control::registry {

TaskThreads::~TaskThreads() {
  stopping_ = true;
  std::list<Slot> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots.swap(slots_);
  }
  for (Slot& slot : slots) {
    if (slot.thread.joinable()) slot.thread.join();
  }
}

void TaskThreads::JoinFinishedLocked() {
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (it->done) {
      it->thread.join();  // its body has returned; the join is immediate
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
}

Status TaskThreads::Run(Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("the server is shutting down");
  JoinFinishedLocked();
  if (slots_.size() >= max_tasks_) {
    return Status::Unavailable("too many transfers in progress; retry later");
  }
  Slot& slot = slots_.emplace_back();
  Slot* slot_ptr = &slot;
  slot.thread = std::thread([this, slot_ptr, task = std::move(task)] {
    task(stopping_);
    std::lock_guard<std::mutex> done_lock(mu_);
    slot_ptr->done = true;
  });
  return Status::Ok();
}

size_t TaskThreads::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t running = 0;
  for (const Slot& slot : slots_) running += slot.done ? 0 : 1;
  return running;
}

}  // namespace locai::control::registry
