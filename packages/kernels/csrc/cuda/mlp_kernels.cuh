// mlp_tanh's CUDA kernels: one block per (member, block of kMlpRowBlock rows), one thread per
// row; the current layer's weights and the block's activations live in shared memory
// (feature-major, so a warp's accesses are consecutive). Device code only, reached through
// mlp_plan.cuh from mlp_tanh_cuda.cu and from the host emulation test in tests/native.
#pragma once

#include <cstdint>

#include "common/mlp_shape.h"

namespace nnreg::cuda {

constexpr int kMlpThreads = static_cast<int>(kMlpRowBlock);
constexpr int kMlpWidth = static_cast<int>(kMlpMaxWidth);
// Batch dimensions (nested vmaps) the kernels index; the plan rejects more.
constexpr int kMlpMaxBatchRank = 4;

// Where a member's block of an operand starts (MemberIndex in plain data for the device).
struct MemberOffsets {
  int rank = 0;
  int64_t dims[kMlpMaxBatchRank] = {};
  int64_t strides[kMlpMaxBatchRank] = {};

  __host__ __device__ int64_t of(int64_t member) const {
    int64_t offset = 0;
    for (int i = rank - 1; i >= 0; --i) {
      offset += member % dims[i] * strides[i];
      member /= dims[i];
    }
    return offset;
  }
};

// Everything one forward or backward launch reads, by value (about 2 KiB of parameters).
struct MlpParams {
  int layers;
  int widths[kMlpMaxLayers + 1];
  int hidden_at[kMlpMaxLayers + 1];  // first feature of layer l's output in a saved block
  int hidden_total;
  int64_t n, members, row_blocks;
  const float* x;
  MemberOffsets x_at;
  const float* params;  // packed per member: layer l's [W_l; b_l] at layer_at[l]
  MemberOffsets params_at;
  int64_t layer_at[kMlpMaxLayers + 1];  // layer_at[layers]: a member's parameter count
  float* y;  // forward
  float* saved;  // forward: activations to write (may be null); backward: to read
  MemberOffsets saved_at;
  const float* dy;  // backward
  MemberOffsets dy_at;
  float* dx;  // backward: null when x's gradient is not wanted
  float* grads;     // backward: packed as params, one block per member
  float* partials;  // backward: [member][slot][packed as params]
  int slots;        // blocks per member in the backward, each summing a stride of row blocks
};

// Forward: grid (row blocks, members, 1); grid.y strides over members beyond its limit.
__global__ void mlp_forward_kernel(const MlpParams p) {
  __shared__ float weights[kMlpWidth * kMlpWidth];
  __shared__ float activations[2][kMlpWidth][kMlpThreads];
  const int t = static_cast<int>(threadIdx.x);
  const int64_t block = blockIdx.x;
  const int64_t row = block * kMlpThreads + t;
  const bool valid = row < p.n;
  for (int64_t member = blockIdx.y; member < p.members; member += gridDim.y) {
    const float* x = p.x + p.x_at.of(member);
    float* saved = p.saved ? p.saved + (member * p.row_blocks + block) * p.hidden_total *
                                           kMlpThreads
                           : nullptr;
    for (int i = 0; i < p.widths[0]; ++i) {
      activations[0][i][t] = valid ? x[row * p.widths[0] + i] : 0.0f;
    }
    int in = 0;
    for (int l = 0; l < p.layers; ++l) {
      const int fan_in = p.widths[l], fan_out = p.widths[l + 1];
      const float* w = p.params + p.params_at.of(member) + p.layer_at[l];
      const float* bias = w + fan_in * fan_out;
      __syncthreads();  // the previous layer is done with `weights`
      for (int e = t; e < fan_in * fan_out; e += kMlpThreads) weights[e] = w[e];
      __syncthreads();
      const bool hidden = l + 1 < p.layers;
      for (int j = 0; j < fan_out; ++j) {
        float z = bias[j];
        for (int i = 0; i < fan_in; ++i) {
          z = fmaf(weights[i * fan_out + j], activations[in][i][t], z);
        }
        if (hidden) {
          z = tanhf(z);
          activations[1 - in][j][t] = z;
          if (saved) saved[(p.hidden_at[l + 1] + j) * kMlpThreads + t] = z;
        } else if (valid) {
          p.y[(member * p.n + row) * fan_out + j] = z;
        }
      }
      in = 1 - in;
    }
    __syncthreads();  // before the next member overwrites the activations
  }
}

// Backward: grid (slots, members, 1). Block `slot` handles row blocks slot, slot + slots, ...
// and writes the sum of their weight gradients to its own partial; mlp_sum_partials adds the
// slots in order, so the result is deterministic.
__global__ void mlp_backward_kernel(const MlpParams p) {
  __shared__ float weights[kMlpWidth * kMlpWidth];
  __shared__ float tiles[2][kMlpWidth][kMlpThreads];  // a layer's input, and its gradient
  const int t = static_cast<int>(threadIdx.x);
  for (int64_t member = blockIdx.y; member < p.members; member += gridDim.y) {
    const int64_t size = p.layer_at[p.layers];
    float* partial = p.partials + (member * p.slots + blockIdx.x) * size;
    for (int64_t e = t; e < size; e += kMlpThreads) partial[e] = 0.0f;
    const float* x = p.x + p.x_at.of(member);
    const float* dy = p.dy + p.dy_at.of(member);
    for (int64_t block = blockIdx.x; block < p.row_blocks; block += p.slots) {
      const int64_t row = block * kMlpThreads + t;
      const bool valid = row < p.n;
      const float* saved =
          p.saved + p.saved_at.of(member) + block * p.hidden_total * kMlpThreads;
      int grad = 0;  // tiles[grad] holds the gradient of the current layer's output
      const int outputs = p.widths[p.layers];
      __syncthreads();
      // Rows past n get a zero gradient, so they add nothing to the weight gradients.
      for (int j = 0; j < outputs; ++j) {
        tiles[grad][j][t] = valid ? dy[row * outputs + j] : 0.0f;
      }
      for (int l = p.layers - 1; l >= 0; --l) {
        const int fan_in = p.widths[l], fan_out = p.widths[l + 1];
        const int input = 1 - grad;
        const float* w = p.params + p.params_at.of(member) + p.layer_at[l];
        for (int i = 0; i < fan_in; ++i) {
          tiles[input][i][t] = l == 0 ? (valid ? x[row * fan_in + i] : 0.0f)
                                      : saved[(p.hidden_at[l] + i) * kMlpThreads + t];
        }
        for (int e = t; e < fan_in * fan_out; e += kMlpThreads) weights[e] = w[e];
        __syncthreads();
        // [dW; db] of this block: pair e = (i, j) of (fan_in + 1) × fan_out, i = fan_in is db.
        float* layer_partial = partial + p.layer_at[l];
        for (int e = t; e < (fan_in + 1) * fan_out; e += kMlpThreads) {
          const int i = e / fan_out, j = e % fan_out;
          float sum = 0.0f;
          for (int r = 0; r < kMlpThreads; ++r) {
            sum = fmaf(i < fan_in ? tiles[input][i][r] : 1.0f, tiles[grad][j][r], sum);
          }
          layer_partial[e] += sum;
        }
        __syncthreads();
        // The input's gradient, over this thread's own row (column t of both tiles); the
        // first layer's is dx, skipped when not wanted (null).
        const int gradient_inputs = l == 0 && p.dx == nullptr ? 0 : fan_in;
        for (int i = 0; i < gradient_inputs; ++i) {
          float sum = 0.0f;
          for (int j = 0; j < fan_out; ++j) {
            sum = fmaf(weights[i * fan_out + j], tiles[grad][j][t], sum);
          }
          if (l == 0) {
            if (valid) p.dx[(member * p.n + row) * fan_in + i] = sum;
          } else {
            const float a = tiles[input][i][t];
            tiles[input][i][t] = sum * (1.0f - a * a);  // tanh' from its output
          }
        }
        grad = input;
        __syncthreads();
      }
    }
  }
}

// A member's gradients = the sum of its slots, in slot order.
__global__ void mlp_sum_partials(const MlpParams p) {
  const int64_t size = p.layer_at[p.layers];
  const int64_t total = p.members * size;
  for (int64_t at = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; at < total;
       at += int64_t{gridDim.x} * blockDim.x) {
    const int64_t member = at / size, e = at % size;
    const float* slot = p.partials + member * p.slots * size + e;
    float sum = 0.0f;
    for (int s = 0; s < p.slots; ++s) sum += slot[s * size];
    p.grads[at] = sum;
  }
}

}  // namespace nnreg::cuda
