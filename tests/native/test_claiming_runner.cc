// The thread-pool TaskRunner used by the CPU FFI handlers.
#include <atomic>
#include <stdexcept>
#include <vector>

#include "check.h"
#include "cpu/claiming_runner.h"
#include "thread_pool.h"

namespace {

using nnreg::cpu::ClaimingRunner;
using nnreg::testing::InlinePool;
using nnreg::testing::SpawningPool;

template <class Pool>
void runs_each_task_once(Pool& pool) {
  const ClaimingRunner<Pool> runner(pool);
  for (int64_t count : {0, 1, 2, 3, 17, 1000}) {
    std::vector<std::atomic<int>> calls(count);
    runner.run(count, [&](int64_t i) { calls[i].fetch_add(1); });
    for (int64_t i = 0; i < count; ++i) {
      CHECK(calls[i].load() == 1, "task %lld of %lld ran %d times", static_cast<long long>(i),
            static_cast<long long>(count), calls[i].load());
    }
  }
}

void runs_on_spawned_threads() {
  SpawningPool pool(3);
  runs_each_task_once(pool);
}

void runs_when_the_pool_runs_inline() {
  InlinePool pool;
  runs_each_task_once(pool);
}

void rethrows_a_task_exception() {
  SpawningPool pool(2);
  const ClaimingRunner<SpawningPool> runner(pool);
  std::atomic<int> finished{0};
  bool thrown = false;
  try {
    runner.run(50, [&](int64_t i) {
      if (i == 7) throw std::runtime_error("task 7");
      finished.fetch_add(1);
    });
  } catch (const std::runtime_error&) {
    thrown = true;
  }
  CHECK(thrown, "exception was swallowed");
  CHECK(finished.load() == 49, "other tasks did not all run: %d", finished.load());
}

}  // namespace

int main(int argc, char** argv) {
  return nnreg::testing::run_cases(
      {
          {"runs_on_spawned_threads", runs_on_spawned_threads},
          {"runs_when_the_pool_runs_inline", runs_when_the_pool_runs_inline},
          {"rethrows_a_task_exception", rethrows_a_task_exception},
      },
      argc, argv);
}
