// Multithreaded CPU kernels for y = tanh(x W + b) and its backward pass, free of XLA types.
#pragma once

#include <cstdint>
#include <vector>

#include "common/dense_shape.h"
#include "cpu/task_runner.h"

namespace nnreg::cpu {

// All buffers row-major, `shape.batch` layers one after the other (see DenseShape).
struct ForwardArgs {
  DenseShape shape;
  const float* x;
  const float* w;
  const float* b;
  float* y;
};

// dz = dy (1 - y²), dx = dz Wᵀ, dW = xᵀ dz, db = column sums of dz.
struct BackwardArgs {
  DenseShape shape;
  const float* dy;
  const float* y;
  const float* x;
  const float* w;
  float* dx;
  float* dw;
  float* db;
};

// One instruction-set variant of the kernels. A backward call covers rows [begin, end) of
// one layer of the batch and overwrites dw (k×m) and db (m) with those rows' sums.
struct KernelSet {
  const char* name;
  void (*forward_rows)(const ForwardArgs& args, int64_t layer, int64_t begin, int64_t end);
  void (*backward_rows)(const BackwardArgs& args, int64_t layer, int64_t begin, int64_t end,
                        float* dw, float* db);
};

// The variants this CPU can run, fastest first; the last is portable.
const std::vector<KernelSet>& supported_kernel_sets();

void dense_tanh_forward(const ForwardArgs& args, const TaskRunner& runner,
                        const KernelSet& kernels = supported_kernel_sets().front());
void dense_tanh_backward(const BackwardArgs& args, const TaskRunner& runner,
                         const KernelSet& kernels = supported_kernel_sets().front());

}  // namespace nnreg::cpu
