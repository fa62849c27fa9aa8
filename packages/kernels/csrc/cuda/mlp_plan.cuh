// What to launch for one mlp_tanh forward or backward call. The Launcher runs each launch:
// on a CUDA stream in mlp_tanh_cuda.cu, on host threads in the emulation test (tests/native),
// which checks this plan and the kernels without a GPU.
//
// Launcher interface, each returning xla::ffi::Error:
//   forward(grid, params), backward(grid, params)    kMlpThreads threads per block
//   sum_partials(blocks, threads, params)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/mlp_ffi_buffers.h"
#include "cuda/mlp_kernels.cuh"
#include "xla/ffi/api/ffi.h"

namespace nnreg::cuda {

// Blocks the backward aims for over all members: each sums a stride of row blocks into its
// own partial, so fewer slots mean less scratch and a shorter final sum.
constexpr int64_t kMlpTargetBlocks = 512;
constexpr int64_t kMlpMaxGridY = 65535;  // kernels stride over members beyond it
constexpr int kMlpSumThreads = 256;
constexpr int64_t kMlpMaxSumBlocks = 4096;

inline int64_t mlp_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

inline int64_t mlp_backward_slots(const MlpShape& shape) {
  const int64_t wanted = mlp_ceil_div(kMlpTargetBlocks, std::max<int64_t>(shape.members, 1));
  return std::clamp<int64_t>(wanted, 1, std::max<int64_t>(shape.row_blocks(), 1));
}

// Where each layer's block of a backward partial starts (MlpParams::partial_at); the last
// entry is a partial's size.
inline void mlp_partial_layout(const MlpShape& shape, int64_t (&partial_at)[kMlpMaxLayers + 1]) {
  partial_at[0] = 0;
  for (int64_t l = 0; l < shape.layers(); ++l) {
    const int fan_in = static_cast<int>(shape.widths[l]);
    const int fan_out = static_cast<int>(shape.widths[l + 1]);
    const int tiles = mlp_weight_tiles(fan_in, fan_out);
    const int64_t threads = int64_t{mlp_weight_segments(tiles)} * tiles;
    partial_at[l + 1] = partial_at[l] + kMlpMicro * kMlpMicro * threads + fan_out;
  }
}

// Device scratch the backward needs for its partial weight gradients.
inline size_t mlp_backward_scratch_floats(const MlpShape& shape) {
  int64_t partial_at[kMlpMaxLayers + 1];
  mlp_partial_layout(shape, partial_at);
  return static_cast<size_t>(shape.members * mlp_backward_slots(shape) *
                             partial_at[shape.layers()]);
}

inline bool to_offsets(const MemberIndex& index, MemberOffsets& offsets) {
  const auto& dims = index.batch_dims();
  if (dims.size() > static_cast<size_t>(kMlpMaxBatchRank)) return false;
  offsets.rank = static_cast<int>(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    offsets.dims[i] = dims[i];
    offsets.strides[i] = index.strides()[i];
  }
  return true;
}

inline xla::ffi::Error too_many_batch_dims(const MlpShape& shape) {
  return xla::ffi::Error::InvalidArgument(
      "mlp_tanh: the CUDA kernels take at most " + std::to_string(kMlpMaxBatchRank) +
      " batch dimensions (nested vmaps), got " + std::to_string(shape.batch_dims.size()));
}

// The parts of MlpParams that forward and backward share.
inline bool common_params(const MlpShape& shape, const MlpOperands& operands, const float* x,
                          const float* params, MlpParams& p) {
  p = MlpParams{};
  p.layers = static_cast<int>(shape.layers());
  p.n = shape.n;
  p.members = shape.members;
  p.row_blocks = shape.row_blocks();
  p.hidden_total = static_cast<int>(shape.hidden_total());
  int hidden = 0;
  for (int l = 0; l <= p.layers; ++l) {
    p.widths[l] = static_cast<int>(shape.widths[l]);
    p.hidden_at[l] = l == 0 ? 0 : hidden;
    if (l > 0 && l < p.layers) hidden += p.widths[l];
    p.layer_at[l] = shape.layer_at(l);
  }
  p.x = x;
  p.params = params;
  return to_offsets(operands.x, p.x_at) && to_offsets(operands.params, p.params_at);
}

inline dim3 mlp_grid(int64_t blocks_x, int64_t members) {
  return dim3(static_cast<unsigned>(blocks_x),
              static_cast<unsigned>(std::min(members, kMlpMaxGridY)), 1);
}

template <class Launcher>
xla::ffi::Error plan_mlp_forward(Launcher& launcher, const MlpForwardBuffers& buffers) {
  const MlpShape& shape = buffers.shape;
  MlpParams p;
  if (!common_params(shape, buffers.operands, buffers.x, buffers.params, p)) {
    return too_many_batch_dims(shape);
  }
  p.y = buffers.y;
  p.saved = buffers.activations;
  if (shape.members == 0 || shape.n == 0) return xla::ffi::Error::Success();
  return launcher.forward(mlp_grid(p.row_blocks, p.members), p);
}

// `partials` holds mlp_backward_scratch_floats(shape) floats.
template <class Launcher>
xla::ffi::Error plan_mlp_backward(Launcher& launcher, const MlpBackwardBuffers& buffers,
                                  float* partials) {
  const MlpShape& shape = buffers.shape;
  MlpParams p;
  if (!common_params(shape, buffers.operands, buffers.x, buffers.params, p) ||
      !to_offsets(buffers.operands.dy, p.dy_at) ||
      !to_offsets(buffers.operands.activations, p.saved_at)) {
    return too_many_batch_dims(shape);
  }
  p.saved = const_cast<float*>(buffers.activations);  // read only in the backward
  p.dy = buffers.dy;
  p.dx = buffers.dx;
  p.partials = partials;
  p.slots = static_cast<int>(mlp_backward_slots(shape));
  mlp_partial_layout(shape, p.partial_at);
  p.grads = buffers.grads;
  if (shape.members == 0) return xla::ffi::Error::Success();
  // With no rows the slots stay zero, and so do the sums.
  if (auto error = launcher.backward(mlp_grid(p.slots, p.members), p); error.failure()) {
    return error;
  }
  const int64_t outputs = shape.members * shape.params_size();
  const auto blocks =
      static_cast<unsigned>(std::min(mlp_ceil_div(outputs, kMlpSumThreads), kMlpMaxSumBlocks));
  return launcher.sum_partials(blocks, kMlpSumThreads, p);
}

}  // namespace nnreg::cuda
