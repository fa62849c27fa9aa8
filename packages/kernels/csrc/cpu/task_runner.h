// Where the CPU kernels run their independent tasks.
#pragma once

#include <cstdint>
#include <functional>

namespace nnreg::cpu {

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  // How many tasks can usefully run at the same time (at least 1).
  virtual int64_t concurrency() const = 0;
  // Calls task(i) for every i in [0, count); returns once all calls have finished.
  // An exception thrown by a task is rethrown here.
  virtual void run(int64_t count, const std::function<void(int64_t)>& task) const = 0;
};

// Runs every task on the calling thread, in order.
class InlineRunner final : public TaskRunner {
 public:
  int64_t concurrency() const override { return 1; }
  void run(int64_t count, const std::function<void(int64_t)>& task) const override {
    for (int64_t i = 0; i < count; ++i) task(i);
  }
};

}  // namespace nnreg::cpu
