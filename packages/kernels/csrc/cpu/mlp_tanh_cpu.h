// Multithreaded CPU kernels of a batch of whole tanh MLPs (nnreg.kernels.mlp_tanh), forward
// and backward, free of XLA types. Hidden layers tanh(h W + b), the last layer affine.
#pragma once

#include <cstdint>
#include <vector>

#include "common/mlp_shape.h"
#include "cpu/task_runner.h"

namespace nnreg::cpu {

// Rows per tile: the kernels hold a tile's activations feature-major, rows along the lanes;
// a tile is a block of the saved activations.
constexpr int64_t kMlpTileRows = kMlpRowBlock;

// An input buffer and where each member's block of it starts (see MemberIndex).
struct MemberInput {
  const float* data = nullptr;
  MemberIndex index;
  const float* of(int64_t member) const { return data + index.offset(member); }
};

// Row-major x (n, k0) and each member's packed parameters (MlpShape::layer_at) -> y (n, kL);
// `activations`, when not null, receives the hidden layers' outputs for the backward pass,
// (row_blocks, hidden_total, kMlpRowBlock) per member.
struct MlpForwardArgs {
  MlpShape shape;
  MemberInput x, params;
  float* y;
  float* activations;
};

// From dy (n, kL) and the forward's activations: dx (n, k0) and the parameters' gradients,
// packed as the parameters are. Outputs hold one block per member; a null dx is not computed.
struct MlpBackwardArgs {
  MlpShape shape;
  MemberInput dy, x, activations, params;
  float* dx;
  float* grads;
};

// One instruction-set variant: runs rows [begin, end) of one member. The backward call
// overwrites `grads` with those rows' gradients, packed as the parameters.
struct MlpKernelSet {
  const char* name;
  void (*forward_rows)(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end);
  void (*backward_rows)(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                        float* grads);
};

// The variants this CPU can run, fastest first; the last is portable.
const std::vector<MlpKernelSet>& supported_mlp_kernel_sets();

void mlp_tanh_forward(const MlpForwardArgs& args, const TaskRunner& runner,
                      const MlpKernelSet& kernels = supported_mlp_kernel_sets().front());
void mlp_tanh_backward(const MlpBackwardArgs& args, const TaskRunner& runner,
                       const MlpKernelSet& kernels = supported_mlp_kernel_sets().front());

}  // namespace nnreg::cpu
