// A stand-in for XLA's thread pool: one std::thread per scheduled closure.
#pragma once

#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace nnreg::testing {

class SpawningPool {
 public:
  explicit SpawningPool(int threads) : threads_(threads) {}
  ~SpawningPool() {
    for (std::thread& worker : workers_) worker.join();
  }

  template <class F>
  void Schedule(F&& closure) {
    workers_.emplace_back(std::forward<F>(closure));
  }
  int num_threads() const { return threads_; }

 private:
  int threads_;
  std::vector<std::thread> workers_;
};

// Like XLA's pool when it cannot schedule: runs the closure on the calling thread.
struct InlinePool {
  template <class F>
  void Schedule(F&& closure) {
    closure();
  }
  int num_threads() const { return 4; }
};

}  // namespace nnreg::testing
