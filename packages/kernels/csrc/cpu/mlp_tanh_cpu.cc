// Splits a batch of MLPs into (member, row range) tasks and runs them on a TaskRunner.
#include "cpu/mlp_tanh_cpu.h"

#include <algorithm>
#include <vector>

namespace nnreg::cpu {
namespace {

// Work (multiply-adds) below which a task costs more to hand to another thread than it
// saves. At 2^18 the lecture's backward (400 rows) split in two and took 13-23 us per
// call on this project's 2-core machine against 10-14 us on the calling thread alone; the
// handoff costs most when the other core is busy (as it is in `nnreg compare`).
constexpr int64_t kMinTaskWork = int64_t{1} << 20;
// Tasks per thread, so that threads finishing early pick up more.
constexpr int64_t kTasksPerThread = 4;
// Multiply-add equivalents of one tanh, for sizing tasks.
constexpr int64_t kTanhWork = 8;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t work_per_row(const MlpShape& shape) {
  int64_t work = kTanhWork * shape.hidden_total();
  for (int64_t l = 0; l < shape.layers(); ++l) work += shape.widths[l] * shape.widths[l + 1];
  return work;
}

// Row ranges per member: enough tasks to keep every thread busy, none below kMinTaskWork.
struct RowParts {
  int64_t count, rows_each;
};

RowParts row_parts(const MlpShape& shape, int64_t pass_work_per_row, int64_t concurrency) {
  const int64_t tiles = std::max<int64_t>(ceil_div(shape.n, kMlpTileRows), 1);
  const int64_t by_work = ceil_div(shape.n * pass_work_per_row, kMinTaskWork);
  const int64_t by_tasks =
      ceil_div(kTasksPerThread * concurrency, std::max<int64_t>(shape.members, 1));
  const int64_t wanted = std::clamp<int64_t>(std::min(by_work, by_tasks), 1, tiles);
  const int64_t tiles_each = ceil_div(tiles, wanted);
  return {ceil_div(tiles, tiles_each), tiles_each * kMlpTileRows};
}

}  // namespace

void mlp_tanh_forward(const MlpForwardArgs& args, const TaskRunner& runner,
                      const MlpKernelSet& kernels) {
  const MlpShape& shape = args.shape;
  if (shape.members == 0 || shape.n == 0) return;
  const RowParts parts = row_parts(shape, work_per_row(shape), runner.concurrency());
  runner.run(shape.members * parts.count, [&](int64_t task) {
    const int64_t member = task / parts.count, begin = task % parts.count * parts.rows_each;
    kernels.forward_rows(args, member, begin, std::min(shape.n, begin + parts.rows_each));
  });
}

void mlp_tanh_backward(const MlpBackwardArgs& args, const TaskRunner& runner,
                       const MlpKernelSet& kernels) {
  const MlpShape& shape = args.shape;
  if (shape.members == 0) return;
  const RowParts parts = row_parts(shape, 2 * work_per_row(shape), runner.concurrency());
  const int64_t size = shape.params_size();
  // Each task sums its rows' gradients into its own slot (overwriting it): a member's first
  // part into the member's output, the others into scratch, added in a fixed order, so
  // results never depend on scheduling. Up to kKeptSlotFloats the scratch is the calling
  // thread's, reused from call to call; a larger call (thousands of wide members) allocates
  // its own rather than keep that memory per thread.
  constexpr size_t kKeptSlotFloats = size_t{1} << 18;
  const size_t needed = static_cast<size_t>(shape.members * (parts.count - 1) * size);
  thread_local std::vector<float> kept_slots;
  std::vector<float> own_slots;
  std::vector<float>& slots = needed <= kKeptSlotFloats ? kept_slots : own_slots;
  if (slots.size() < needed) slots.resize(needed);
  auto slot = [&](int64_t member, int64_t part) {
    return part == 0 ? args.grads + member * size
                     : slots.data() + (member * (parts.count - 1) + part - 1) * size;
  };
  runner.run(shape.members * parts.count, [&](int64_t task) {
    const int64_t member = task / parts.count, part = task % parts.count;
    const int64_t begin = part * parts.rows_each;
    kernels.backward_rows(args, member, std::min(shape.n, begin),
                          std::min(shape.n, begin + parts.rows_each), slot(member, part));
  });
  for (int64_t member = 0; member < shape.members; ++member) {
    float* sum = slot(member, 0);
    for (int64_t part = 1; part < parts.count; ++part) {
      const float* added = slot(member, part);
      for (int64_t i = 0; i < size; ++i) sum[i] += added[i];
    }
  }
}

}  // namespace nnreg::cpu
