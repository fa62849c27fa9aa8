// A TaskRunner on top of any pool that can Schedule(closure) and report num_threads().
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include "cpu/task_runner.h"

namespace nnreg::cpu {

// The caller and up to num_threads() pool workers claim tasks from a shared counter. The
// caller only ever waits for tasks that a running thread has already claimed, so it cannot
// deadlock even when it is itself a pool thread and every other worker is busy; workers
// that start after all tasks are claimed find nothing to do and touch only the shared state.
template <class Pool>
class ClaimingRunner final : public TaskRunner {
 public:
  explicit ClaimingRunner(Pool& pool) : pool_(pool) {}

  int64_t concurrency() const override {
    return std::max<int64_t>(1, static_cast<int64_t>(pool_.num_threads()));
  }

  void run(int64_t count, TaskRef task) const override {
    if (count <= 0) return;
    if (count == 1) {  // nothing to share: skip the shared state (small calls run this often)
      task(0);
      return;
    }
    auto shared = std::make_shared<Shared>();
    auto claim_all = [shared, count, &task] {
      for (int64_t i; (i = shared->next.fetch_add(1)) < count;) {
        try {
          task(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(shared->mutex);
          if (!shared->error) shared->error = std::current_exception();
        }
        if (shared->finished.fetch_add(1) + 1 == count) {
          std::lock_guard<std::mutex> lock(shared->mutex);
          shared->all_finished.notify_all();
        }
      }
    };
    const int64_t helpers = std::min(count, concurrency()) - 1;
    for (int64_t h = 0; h < helpers; ++h) {
      auto worker = claim_all;  // Schedule takes ownership of an rvalue closure
      pool_.Schedule(std::move(worker));
    }
    claim_all();
    std::unique_lock<std::mutex> lock(shared->mutex);
    shared->all_finished.wait(lock, [&] { return shared->finished.load() == count; });
    if (shared->error) std::rethrow_exception(shared->error);
  }

 private:
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> finished{0};
    std::mutex mutex;
    std::condition_variable all_finished;
    std::exception_ptr error;
  };

  Pool& pool_;
};

}  // namespace nnreg::cpu
