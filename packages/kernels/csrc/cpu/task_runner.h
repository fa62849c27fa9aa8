// Where the CPU kernels run their independent tasks.
#pragma once

#include <cstdint>
#include <type_traits>

namespace nnreg::cpu {

// A task `void(int64_t)` passed by reference, not owned: the callable must outlive the
// call it is passed to, as a lambda written in that call's arguments does. Unlike
// std::function, it never allocates (a kernel call's lambda capturing a few references
// made std::function allocate on every call).
class TaskRef {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TaskRef>>>
  TaskRef(const F& task)  // NOLINT: implicit, so that a lambda is passed as is
      : task_(&task),
        call_([](const void* held, int64_t i) { (*static_cast<const F*>(held))(i); }) {}

  void operator()(int64_t i) const { call_(task_, i); }

 private:
  const void* task_;
  void (*call_)(const void*, int64_t);
};

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  // How many tasks can usefully run at the same time (at least 1).
  virtual int64_t concurrency() const = 0;
  // Calls task(i) for every i in [0, count); returns once all calls have finished.
  // An exception thrown by a task is rethrown here.
  virtual void run(int64_t count, TaskRef task) const = 0;
};

// Runs every task on the calling thread, in order.
class InlineRunner final : public TaskRunner {
 public:
  int64_t concurrency() const override { return 1; }
  void run(int64_t count, TaskRef task) const override {
    for (int64_t i = 0; i < count; ++i) task(i);
  }
};

}  // namespace nnreg::cpu
