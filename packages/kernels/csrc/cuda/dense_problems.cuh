// The three products of the layer as tiled_product problems, and the kernel that adds up
// the weight-gradient partials. Device code only, reached through launch_plan.cuh from
// dense_tanh_cuda.cu and from the host emulation test in tests/native.
#pragma once

#include <cstdint>

#include "cuda/tiled_product.cuh"

namespace nnreg::cuda {

__device__ __forceinline__ float tanh_of(float z) {
  // tanh(z) = 1 - 2 / (exp(2z) + 1): |error| < 1e-6, saturates to ±1, NaN propagates.
  return 1.0f - __fdividef(2.0f, __expf(2.0f * z) + 1.0f);
}

__device__ __forceinline__ float tanh_grad(const float* __restrict__ dy,
                                           const float* __restrict__ y, int at) {
  const float y_at = y[at];
  return dy[at] * (1.0f - y_at * y_at);
}

// Loops over the 4 columns are unrolled with guards, never bounded by `count`: indexing a
// register array with a run-time value would move it to local memory.
__device__ __forceinline__ void store_row(float* out, const float (&v)[4], int count) {
  if (count == 4 && reinterpret_cast<uintptr_t>(out) % sizeof(float4) == 0) {
    *reinterpret_cast<float4*>(out) = make_float4(v[0], v[1], v[2], v[3]);
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      if (j < count) out[j] = v[j];
    }
  }
}

// y = tanh(x W + b): rows n, columns m, summing over k.
struct ForwardProblem {
  static constexpr bool kDepthContiguousA = true;
  int64_t layers;
  int rows, cols, depth;
  const float* x;
  const float* w;
  const float* bias;
  float* y;

  struct Layer {
    const float* __restrict__ x;
    const float* __restrict__ w;
    const float* __restrict__ bias;
    float* __restrict__ y;
    int cols, depth;

    __device__ float a(int i, int t) const { return x[i * depth + t]; }
    __device__ float b(int t, int c) const { return w[t * cols + c]; }
    __device__ void store(int, int i, int c, const float (&acc)[4], int count) const {
      float v[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = j < count ? tanh_of(acc[j] + bias[c + j]) : 0.0f;
      store_row(y + i * cols + c, v, count);
    }
  };

  __device__ Layer layer(int64_t l) const {
    return {x + l * rows * depth, w + l * depth * cols, bias + l * cols, y + l * rows * cols,
            cols, depth};
  }
};

// dx = dz Wᵀ with dz = dy (1 - y²) formed while staging: rows n, columns k, summing over m.
struct InputGradProblem {
  static constexpr bool kDepthContiguousA = true;
  int64_t layers;
  int rows, cols, depth;
  const float* dy;
  const float* y;
  const float* w;
  float* dx;

  struct Layer {
    const float* __restrict__ dy;
    const float* __restrict__ y;
    const float* __restrict__ w;
    float* __restrict__ dx;
    int cols, depth;

    __device__ float a(int i, int t) const { return tanh_grad(dy, y, i * depth + t); }
    __device__ float b(int t, int c) const { return w[c * depth + t]; }
    __device__ void store(int, int i, int c, const float (&acc)[4], int count) const {
      store_row(dx + i * cols + c, acc, count);
    }
  };

  __device__ Layer layer(int64_t l) const {
    return {dy + l * rows * depth, y + l * rows * depth, w + l * cols * depth,
            dx + l * rows * cols, cols, depth};
  }
};

// Partial [dW; db] = [x, 1]ᵀ dz over one split of the rows: rows k + 1 (the last row of ones
// turns into db), columns m, summing over n. Partials go to scratch[layer][split].
struct WeightGradProblem {
  static constexpr bool kDepthContiguousA = false;
  int64_t layers;
  int rows, cols, depth;
  int splits;
  const float* dy;
  const float* y;
  const float* x;
  float* partials;

  struct Layer {
    const float* __restrict__ dy;
    const float* __restrict__ y;
    const float* __restrict__ x;
    float* __restrict__ partials;
    int rows, cols;

    __device__ float a(int i, int t) const {
      const int k = rows - 1;
      return i < k ? x[t * k + i] : 1.0f;
    }
    __device__ float b(int t, int c) const { return tanh_grad(dy, y, t * cols + c); }
    // splits × (k + 1) × m partials can pass 2^31 where each layer's extents do not.
    __device__ void store(int split, int i, int c, const float (&acc)[4], int count) const {
      store_row(partials + int64_t{split} * rows * cols + i * cols + c, acc, count);
    }
  };

  __device__ Layer layer(int64_t l) const {
    return {dy + l * depth * cols, y + l * depth * cols, x + l * depth * (rows - 1),
            partials + l * splits * rows * cols, rows, cols};
  }
};

// dW and db = sums of the split partials, added in split order (deterministic).
__global__ void sum_partials(const float* __restrict__ partials, int64_t layers, int64_t splits,
                             int64_t k, int64_t m, float* __restrict__ dw,
                             float* __restrict__ db) {
  const int64_t per_layer = (k + 1) * m;
  for (int64_t at = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; at < layers * per_layer;
       at += int64_t{gridDim.x} * blockDim.x) {
    const int64_t layer = at / per_layer, within = at % per_layer;
    const float* column = partials + layer * splits * per_layer + within;
    float sum = 0.0f;
    for (int64_t split = 0; split < splits; ++split) sum += column[split * per_layer];
    const int64_t i = within / m, c = within % m;
    if (i < k) {
      dw[(layer * k + i) * m + c] = sum;
    } else {
      db[layer * m + c] = sum;
    }
  }
}

}  // namespace nnreg::cuda
