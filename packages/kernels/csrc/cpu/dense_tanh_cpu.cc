// Splits a batch of dense layers into row-range tasks and runs them on a TaskRunner.
#include "cpu/dense_tanh_cpu.h"

#include <algorithm>
#include <vector>

namespace nnreg::cpu {
namespace {

// Tasks smaller than this many multiply-adds cost more to hand over than they save.
constexpr int64_t kMinTaskWork = int64_t{1} << 17;
// Forward tasks per thread: a few each, so that threads finishing early pick up more.
constexpr int64_t kForwardTasksPerThread = 4;
// Multiply-add equivalents of one fast_tanh, for sizing tasks.
constexpr int64_t kTanhWork = 8;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Into how many nearly equal row ranges to cut each layer.
int64_t parts_per_layer(const DenseShape& shape, int64_t work_per_row, int64_t max_tasks) {
  const int64_t by_work = ceil_div(shape.n * work_per_row, kMinTaskWork);
  const int64_t by_tasks = ceil_div(max_tasks, std::max<int64_t>(shape.batch, 1));
  return std::clamp<int64_t>(std::min(by_work, by_tasks), 1, std::max<int64_t>(shape.n, 1));
}

int64_t part_start(int64_t part, int64_t parts, int64_t n) { return part * n / parts; }

}  // namespace

void dense_tanh_forward(const ForwardArgs& args, const TaskRunner& runner,
                        const KernelSet& kernels) {
  const DenseShape& shape = args.shape;
  if (shape.batch == 0 || shape.n == 0 || shape.m == 0) return;
  const int64_t parts = parts_per_layer(shape, shape.m * (shape.k + kTanhWork),
                                        kForwardTasksPerThread * runner.concurrency());
  runner.run(shape.batch * parts, [&](int64_t task) {
    const int64_t layer = task / parts, part = task % parts;
    kernels.forward_rows(args, layer, part_start(part, parts, shape.n),
                         part_start(part + 1, parts, shape.n));
  });
}

void dense_tanh_backward(const BackwardArgs& args, const TaskRunner& runner,
                         const KernelSet& kernels) {
  const DenseShape& shape = args.shape;
  if (shape.batch == 0) return;
  const int64_t parts =
      parts_per_layer(shape, shape.m * (2 * shape.k + 4), runner.concurrency());
  const int64_t w_size = shape.k * shape.m;
  const int64_t slot_size = w_size + shape.m;
  // With one part per layer a task writes dW and db itself. Otherwise each part fills its own
  // slot and the slots are added in a fixed order, so results never depend on scheduling.
  std::vector<float> slots(parts > 1 ? shape.batch * parts * slot_size : 0);
  runner.run(shape.batch * parts, [&](int64_t task) {
    const int64_t layer = task / parts, part = task % parts;
    float* dw = parts == 1 ? args.dw + layer * w_size : slots.data() + task * slot_size;
    float* db = parts == 1 ? args.db + layer * shape.m : dw + w_size;
    kernels.backward_rows(args, layer, part_start(part, parts, shape.n),
                          part_start(part + 1, parts, shape.n), dw, db);
  });
  if (parts == 1) return;
  for (int64_t layer = 0; layer < shape.batch; ++layer) {
    float* dw = args.dw + layer * w_size;
    float* db = args.db + layer * shape.m;
    const float* first = slots.data() + layer * parts * slot_size;
    std::copy(first, first + w_size, dw);
    std::copy(first + w_size, first + slot_size, db);
    for (int64_t part = 1; part < parts; ++part) {
      const float* slot = first + part * slot_size;
      for (int64_t i = 0; i < w_size; ++i) dw[i] += slot[i];
      for (int64_t j = 0; j < shape.m; ++j) db[j] += slot[w_size + j];
    }
  }
}

}  // namespace nnreg::cpu
