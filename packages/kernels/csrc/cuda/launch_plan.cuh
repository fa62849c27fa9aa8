// What to launch for one forward or backward call: grids, depth splits and scratch. The
// Launcher runs each launch: on a CUDA stream in dense_tanh_cuda.cu, on host threads in the
// emulation test (tests/native), which checks this plan and the kernels without a GPU.
//
// Launcher interface, each returning xla::ffi::Error:
//   product<BM, BN, TM, TN>(problem, grid, col_tiles, split_depth)  a tiled_product launch
//   sum_partials(blocks, threads, partials, layers, splits, k, m, dw, db)
//   zero(pointer, bytes)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "common/dense_shape.h"
#include "cuda/dense_problems.cuh"
#include "cuda/tiled_product.cuh"
#include "xla/ffi/api/ffi.h"

namespace nnreg::cuda {

// 128 rows × 64 columns per block, 8×4 per thread: 256 threads, 32 FMAs per 3 shared loads.
constexpr int kRowsPerBlock = 128, kColsPerBlock = 64, kRowsPerThread = 8, kColsPerThread = 4;
// The dW product is only (k + 1) × m, so it uses square 64×64 tiles, 4×4 per thread.
constexpr int kGradTile = 64, kGradPerThread = 4;
// Blocks the dW product aims for across all splits of its sum over rows; and the fewest
// rows worth a split of their own.
constexpr int64_t kGradTargetBlocks = 1024;
constexpr int64_t kGradMinRowsPerSplit = 1024;
constexpr int64_t kMaxLayersPerLaunch = 65535;  // gridDim.z limit; kernels stride beyond it
constexpr int kSumThreads = 256;
constexpr int64_t kMaxSumBlocks = 4096;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Splits of the dW sum over n rows: enough blocks to fill the GPU, each split a whole
// number of depth tiles and at least kGradMinRowsPerSplit rows.
struct RowSplits {
  int64_t count, rows_each;
};

inline RowSplits weight_grad_splits(const DenseShape& s) {
  const int64_t tiles = ceil_div(s.k + 1, kGradTile) * ceil_div(s.m, kGradTile);
  const int64_t wanted = ceil_div(kGradTargetBlocks, std::max<int64_t>(tiles * s.batch, 1));
  const int64_t affordable = std::max<int64_t>(s.n / kGradMinRowsPerSplit, 1);
  const int64_t count = std::min(wanted, affordable);
  const int64_t rows_each =
      std::max<int64_t>(ceil_div(ceil_div(s.n, count), kDepthTile), 1) * kDepthTile;
  return {std::max<int64_t>(ceil_div(s.n, rows_each), 1), rows_each};
}

// Device scratch the backward pass needs for its partial dW and db sums.
inline size_t backward_scratch_floats(const DenseShape& s) {
  return static_cast<size_t>(s.batch * weight_grad_splits(s).count * (s.k + 1) * s.m);
}

// The kernels index within a layer with 32-bit ints: every extent they hold as an int (n,
// k + 1, m) and every product they index with (n·k, n·m, (k + 1)·m) must fit. The batch and
// the split partials are indexed in 64 bits. nnreg.kernels mirrors this rule when tracing
// and sends larger shapes to the jnp reference, so the check below is a last line of defence.
inline bool fits_32_bit_offsets(const DenseShape& s) {
  const int64_t largest = std::max({s.n, s.k + 1, s.m, s.n * s.k, s.n * s.m, (s.k + 1) * s.m});
  return largest <= std::numeric_limits<int>::max();
}

inline xla::ffi::Error check_32_bit_offsets(const DenseShape& s) {
  if (fits_32_bit_offsets(s)) return xla::ffi::Error::Success();
  return xla::ffi::Error::InvalidArgument(
      "dense_tanh: the CUDA kernels need n, k + 1, m, n*k, n*m and (k + 1)*m below 2^31, got "
      "n=" + std::to_string(s.n) + " k=" + std::to_string(s.k) + " m=" + std::to_string(s.m));
}

template <int BM, int BN, int TM, int TN, class Launcher, class Problem>
xla::ffi::Error launch_product(Launcher& launcher, const Problem& problem, int64_t splits,
                               int split_depth) {
  const int64_t col_tiles = ceil_div(problem.cols, BN);
  const int64_t tiles = ceil_div(problem.rows, BM) * col_tiles;
  if (tiles == 0 || problem.layers == 0) return xla::ffi::Error::Success();
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(splits),
                  static_cast<unsigned>(std::min(problem.layers, kMaxLayersPerLaunch)));
  return launcher.template product<BM, BN, TM, TN>(problem, grid, static_cast<int>(col_tiles),
                                                   split_depth);
}

template <class Launcher>
xla::ffi::Error plan_forward(Launcher& launcher, const DenseShape& shape, const float* x,
                             const float* w, const float* b, float* y) {
  if (auto error = check_32_bit_offsets(shape); error.failure()) return error;
  const ForwardProblem problem{shape.batch, static_cast<int>(shape.n), static_cast<int>(shape.m),
                               static_cast<int>(shape.k), x, w, b, y};
  return launch_product<kRowsPerBlock, kColsPerBlock, kRowsPerThread, kColsPerThread>(
      launcher, problem, 1, problem.depth);
}

// `scratch` holds backward_scratch_floats(shape) floats.
template <class Launcher>
xla::ffi::Error plan_backward(Launcher& launcher, const DenseShape& shape, const float* dy,
                              const float* y, const float* x, const float* w, float* dx,
                              float* dw, float* db, float* scratch) {
  if (auto error = check_32_bit_offsets(shape); error.failure()) return error;
  if (shape.n == 0) {  // no rows: nothing to launch, the gradients of W and b are zero
    if (auto error = launcher.zero(dw, shape.batch * shape.k * shape.m * sizeof(float));
        error.failure()) {
      return error;
    }
    return launcher.zero(db, shape.batch * shape.m * sizeof(float));
  }
  const int n = static_cast<int>(shape.n), k = static_cast<int>(shape.k),
            m = static_cast<int>(shape.m);
  const InputGradProblem input_grad{shape.batch, n, k, m, dy, y, w, dx};
  if (auto error = launch_product<kRowsPerBlock, kColsPerBlock, kRowsPerThread, kColsPerThread>(
          launcher, input_grad, 1, m);
      error.failure()) {
    return error;
  }
  const RowSplits splits = weight_grad_splits(shape);
  const WeightGradProblem weight_grad{
      shape.batch, k + 1, m, n, static_cast<int>(splits.count), dy, y, x, scratch};
  // One split's rows, rounded up to whole depth tiles, can exceed n, and n may be INT_MAX.
  const int split_depth = static_cast<int>(std::min(splits.rows_each, shape.n));
  if (auto error = launch_product<kGradTile, kGradTile, kGradPerThread, kGradPerThread>(
          launcher, weight_grad, splits.count, split_depth);
      error.failure()) {
    return error;
  }
  const int64_t outputs = shape.batch * (shape.k + 1) * shape.m;
  if (outputs == 0) return xla::ffi::Error::Success();
  const auto blocks =
      static_cast<unsigned>(std::min(ceil_div(outputs, kSumThreads), kMaxSumBlocks));
  return launcher.sum_partials(blocks, kSumThreads, scratch, shape.batch, splits.count, shape.k,
                               shape.m, dw, db);
}

}  // namespace nnreg::cuda
