// mlp_tanh's CUDA kernels: one block of 64 threads per (member, block of kMlpRowBlock rows).
// The current layer's weights and the block's activations live in shared memory, feature-major
// (feature f of row r at [f][r]), and every product is register-tiled: a thread computes 8
// rows x 8 features (or 8 x 8 weight gradients) in registers, and each 128-bit shared-memory
// load feeds 16 multiply-adds (one thread per row, the first design, read two values from
// shared memory per multiply-add). Device code only, reached through mlp_plan.cuh from
// mlp_tanh_cuda.cu and from the host emulation test in tests/native.
#pragma once

#include <cstdint>

#include "common/mlp_shape.h"

namespace nnreg::cuda {

constexpr int kMlpThreads = static_cast<int>(kMlpRowBlock);
constexpr int kMlpWidth = static_cast<int>(kMlpMaxWidth);
// A thread's register tile is kMlpMicro x kMlpMicro. In the forward and the input gradient,
// kMlpLanes threads share a block of 8 features and split the 64 rows between them; in the
// weight gradient each thread owns an 8 x 8 block of the layer's weights over all 64 rows.
constexpr int kMlpMicro = 8;
constexpr int kMlpLanes = kMlpThreads / kMlpMicro;
static_assert(kMlpThreads == 64 && kMlpWidth == 64,
              "the register tiles assume 64 rows per block and at most 64 features");
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

// Everything one forward or backward launch reads, by value (about 600 bytes of parameters).
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
  float* partials;  // backward: [member][slot][a partial, laid out by partial_at]
  int slots;        // blocks per member in the backward, each summing a stride of row blocks
  // Backward: where layer l's block of a partial starts (partial_at[layers]: a partial's size).
  // A layer's block is its weight gradients thread-major, element k (= 8 ci + c) of the 8 x 8
  // tile that thread t = segment * tiles + tile computes at k * segments * tiles + t (see
  // mlp_weight_tiles), so that a warp's read-modify-write of one element covers consecutive
  // floats; then its fan_out biases.
  int64_t partial_at[kMlpMaxLayers + 1];
};

// Blocks of 8 features that cover `width`.
__host__ __device__ inline int mlp_blocks(int width) { return (width + kMlpMicro - 1) / kMlpMicro; }

// The 8 x 8 tiles of a fan_in x fan_out layer's weight gradients.
__host__ __device__ inline int mlp_weight_tiles(int fan_in, int fan_out) {
  return mlp_blocks(fan_in) * mlp_blocks(fan_out);
}

// Segments of the 64 rows over which a tile's weight gradients are summed by separate
// threads: with fewer tiles than threads (a layer of few inputs or outputs) the idle threads
// take a share of the rows; a power of two, at most 16 segments of 4-row chunks.
__host__ __device__ inline int mlp_weight_segments(int tiles) {
  int segments = 1;
  while (2 * segments * tiles <= kMlpThreads && 2 * segments <= kMlpThreads / 4) segments *= 2;
  return segments;
}

// The 8 rows of a 64-row tile that lane `lane` (0-7) of a feature block computes: two runs of
// 4, at 4 lane and 32 + 4 lane, so that the 8 lanes of a quarter-warp read 32 consecutive
// floats (every shared-memory bank once) with each vector load.
__device__ __forceinline__ int mlp_tile_row(int lane, int r) {
  return r / 4 * 32 + 4 * lane + r % 4;
}

// Two vectors of 4 floats (16-byte aligned, in shared memory) as 8 values.
__device__ __forceinline__ void load_two_vectors(const float* first, const float* second,
                                                 float (&v)[8]) {
  const float4 a = *reinterpret_cast<const float4*>(first);
  const float4 b = *reinterpret_cast<const float4*>(second);
  v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
}

// A lane's 8 rows of one feature of a tile (its row of kMlpThreads floats).
__device__ __forceinline__ void load_lane_rows(const float* tile_row, int lane, float (&v)[8]) {
  load_two_vectors(tile_row + 4 * lane, tile_row + 32 + 4 * lane, v);
}

__device__ __forceinline__ void store_lane_rows(float* tile_row, int lane, const float (&v)[8]) {
  *reinterpret_cast<float4*>(tile_row + 4 * lane) = make_float4(v[0], v[1], v[2], v[3]);
  *reinterpret_cast<float4*>(tile_row + 32 + 4 * lane) = make_float4(v[4], v[5], v[6], v[7]);
}

// 8 consecutive floats from 16-byte aligned shared memory.
__device__ __forceinline__ void load_eight(const float* from, float (&v)[8]) {
  load_two_vectors(from, from + 4, v);
}

// A layer of at most 8 outputs (the network's output, usually one): thread t computes row t
// alone, so that all 64 threads work, where 8-row tiles would leave 56 idle and take as long
// as a 64-wide layer.
__device__ __forceinline__ void mlp_narrow_layer(const MlpParams& p,
                                                 const float (*in)[kMlpThreads],
                                                 const float* weights, const float* bias,
                                                 int fan_in, int fan_out, bool hidden,
                                                 float (*out)[kMlpThreads], float* saved,
                                                 int64_t member, int64_t first_row) {
  const int t = static_cast<int>(threadIdx.x);
  float acc[kMlpMicro];
#pragma unroll
  for (int c = 0; c < kMlpMicro; ++c) acc[c] = c < fan_out ? bias[c] : 0.0f;
  for (int k = 0; k < fan_in; ++k) {
    float wk[kMlpMicro];
    load_eight(weights + k * kMlpWidth, wk);  // features past fan_out: discarded
    const float a = in[k][t];
#pragma unroll
    for (int c = 0; c < kMlpMicro; ++c) acc[c] = fmaf(wk[c], a, acc[c]);
  }
  const int64_t row = first_row + t;
#pragma unroll
  for (int c = 0; c < kMlpMicro; ++c) {
    if (c >= fan_out) break;
    if (hidden) {
      const float z = tanhf(acc[c]);
      out[c][t] = z;
      if (saved) saved[c * kMlpThreads + t] = z;
    } else if (row < p.n) {
      p.y[(member * p.n + row) * fan_out + c] = acc[c];
    }
  }
}

// Forward: grid (row blocks, members, 1); grid.y strides over members beyond its limit.
// Thread t computes features 8 (t / 8) .. + 8 of its lane's rows (lane t % 8).
__global__ void __launch_bounds__(kMlpThreads) mlp_forward_kernel(const MlpParams p) {
  __shared__ __align__(16) float weights[kMlpWidth * kMlpWidth];  // W_l[i][j] at i * 64 + j
  __shared__ __align__(16) float activations[2][kMlpWidth][kMlpThreads];
  const int t = static_cast<int>(threadIdx.x), lane = t % kMlpLanes;
  const int j0 = t / kMlpLanes * kMlpMicro;
  const int64_t block = blockIdx.x;
  const int64_t first_row = block * kMlpThreads;
  for (int64_t member = blockIdx.y; member < p.members; member += gridDim.y) {
    const float* x = p.x + p.x_at.of(member);
    float* saved = p.saved ? p.saved + (member * p.row_blocks + block) * p.hidden_total *
                                           kMlpThreads
                           : nullptr;
    const bool valid = first_row + t < p.n;  // thread t loads row t of the tile
    for (int i = 0; i < p.widths[0]; ++i) {
      activations[0][i][t] = valid ? x[(first_row + t) * p.widths[0] + i] : 0.0f;
    }
    int in = 0;
    for (int l = 0; l < p.layers; ++l) {
      const int fan_in = p.widths[l], fan_out = p.widths[l + 1];
      const float* w = p.params + p.params_at.of(member) + p.layer_at[l];
      const float* bias = w + fan_in * fan_out;
      __syncthreads();  // the previous layer is done with `weights` and wrote its outputs
      for (int e = t; e < fan_in * fan_out; e += kMlpThreads) {
        weights[e / fan_out * kMlpWidth + e % fan_out] = w[e];
      }
      __syncthreads();
      const bool hidden = l + 1 < p.layers;
      if (fan_out <= kMlpMicro) {
        mlp_narrow_layer(p, activations[in], weights, bias, fan_in, fan_out, hidden,
                         activations[1 - in], saved ? saved + p.hidden_at[l + 1] * kMlpThreads
                                                    : nullptr,
                         member, first_row);
      } else if (j0 < fan_out) {
        float acc[kMlpMicro][8];  // [feature][row]
#pragma unroll
        for (int c = 0; c < kMlpMicro; ++c) {
          const float start = j0 + c < fan_out ? bias[j0 + c] : 0.0f;
#pragma unroll
          for (int r = 0; r < 8; ++r) acc[c][r] = start;
        }
        for (int k = 0; k < fan_in; ++k) {
          float a[8], wk[kMlpMicro];
          load_lane_rows(activations[in][k], lane, a);
          load_eight(weights + k * kMlpWidth + j0, wk);  // features past fan_out: discarded
#pragma unroll
          for (int c = 0; c < kMlpMicro; ++c) {
#pragma unroll
            for (int r = 0; r < 8; ++r) acc[c][r] = fmaf(wk[c], a[r], acc[c][r]);
          }
        }
#pragma unroll
        for (int c = 0; c < kMlpMicro; ++c) {
          const int j = j0 + c;
          if (j >= fan_out) break;
          if (hidden) {
#pragma unroll
            for (int r = 0; r < 8; ++r) acc[c][r] = tanhf(acc[c][r]);
            store_lane_rows(activations[1 - in][j], lane, acc[c]);
            if (saved) {
              store_lane_rows(saved + (p.hidden_at[l + 1] + j) * kMlpThreads, lane, acc[c]);
            }
          } else {
#pragma unroll
            for (int r = 0; r < 8; ++r) {
              const int64_t row = first_row + mlp_tile_row(lane, r);
              if (row < p.n) p.y[(member * p.n + row) * fan_out + j] = acc[c][r];
            }
          }
        }
      }
      in = 1 - in;
    }
    __syncthreads();  // before the next member overwrites the activations
  }
}

// This block's [dW; db] of one layer over one tile, added to its block of the partial (see
// MlpParams::partial_at): dW[i][j] = sum over rows r of input[i][r] grad[j][r], thread t
// computing tile t % tiles (i in 8 (tile / jg) .. + 8, j in 8 (tile % jg) .. + 8, jg column
// blocks) over segment t / tiles of the rows. Each lane starts its walk over its rows at its
// own 4-row chunk, so that the 8 lanes of a quarter-warp read distinct banks (where a segment
// has 8 chunks or more); db[j] = sum of grad[j][r].
__device__ __forceinline__ void mlp_weight_gradient(const float (*input)[kMlpThreads],
                                                    const float (*grad)[kMlpThreads],
                                                    int fan_in, int fan_out, float* partial) {
  const int t = static_cast<int>(threadIdx.x), lane = t % kMlpLanes;
  const int column_blocks = mlp_blocks(fan_out);
  const int tiles = mlp_weight_tiles(fan_in, fan_out);
  const int segments = mlp_weight_segments(tiles);
  const int tile = t % tiles, segment = t / tiles;
  const int i0 = tile / column_blocks * kMlpMicro, j0 = tile % column_blocks * kMlpMicro;
  if (segment < segments) {
    float acc[kMlpMicro][kMlpMicro] = {};  // [i][j]
    const int chunks = kMlpThreads / 4 / segments, first = segment * chunks;
    for (int q = 0; q < chunks; ++q) {
      const int r = (first + (q + lane) % chunks) * 4;
      float4 g[kMlpMicro];
#pragma unroll
      for (int c = 0; c < kMlpMicro; ++c) {
        g[c] = *reinterpret_cast<const float4*>(&grad[j0 + c][r]);  // past fan_out: discarded
      }
#pragma unroll
      for (int ci = 0; ci < kMlpMicro; ++ci) {
        const float4 a = *reinterpret_cast<const float4*>(&input[i0 + ci][r]);
#pragma unroll
        for (int c = 0; c < kMlpMicro; ++c) {
          acc[ci][c] = fmaf(a.x, g[c].x, acc[ci][c]);
          acc[ci][c] = fmaf(a.y, g[c].y, acc[ci][c]);
          acc[ci][c] = fmaf(a.z, g[c].z, acc[ci][c]);
          acc[ci][c] = fmaf(a.w, g[c].w, acc[ci][c]);
        }
      }
    }
#pragma unroll
    for (int ci = 0; ci < kMlpMicro; ++ci) {
#pragma unroll
      for (int c = 0; c < kMlpMicro; ++c) {
        if (i0 + ci < fan_in && j0 + c < fan_out) {
          partial[(ci * kMlpMicro + c) * segments * tiles + t] += acc[ci][c];
        }
      }
    }
  }
  for (int j = t; j < fan_out; j += kMlpThreads) {
    float sum = 0.0f;
    for (int r = 0; r < kMlpThreads; ++r) sum += grad[j][(r + t) % kMlpThreads];  // banks
    partial[kMlpMicro * kMlpMicro * segments * tiles + j] += sum;
  }
}

// Backward: grid (slots, members, 1). Block `slot` handles row blocks slot, slot + slots, ...
// and writes the sum of their weight gradients to its own partial; mlp_sum_partials adds the
// slots in order, so the result is deterministic.
__global__ void __launch_bounds__(kMlpThreads) mlp_backward_kernel(const MlpParams p) {
  __shared__ __align__(16) float weights[kMlpWidth * kMlpWidth];  // W_l[i][j] at i * 64 + j
  // A layer's input, and the gradient of its output.
  __shared__ __align__(16) float tiles[2][kMlpWidth][kMlpThreads];
  const int t = static_cast<int>(threadIdx.x), lane = t % kMlpLanes;
  const int i0 = t / kMlpLanes * kMlpMicro;  // the inputs whose gradient thread t computes
  for (int64_t member = blockIdx.y; member < p.members; member += gridDim.y) {
    const int64_t size = p.partial_at[p.layers];
    float* partial = p.partials + (member * p.slots + blockIdx.x) * size;
    for (int64_t e = t; e < size; e += kMlpThreads) partial[e] = 0.0f;
    const float* x = p.x + p.x_at.of(member);
    const float* dy = p.dy + p.dy_at.of(member);
    for (int64_t block = blockIdx.x; block < p.row_blocks; block += p.slots) {
      const int64_t first_row = block * kMlpThreads;
      const bool valid = first_row + t < p.n;  // thread t loads row t of the tile
      const float* saved =
          p.saved + p.saved_at.of(member) + block * p.hidden_total * kMlpThreads;
      int grad = 0;  // tiles[grad] holds the gradient of the current layer's output
      const int outputs = p.widths[p.layers];
      __syncthreads();
      // Rows past n get a zero gradient, so they add nothing to the weight gradients.
      for (int j = 0; j < outputs; ++j) {
        tiles[grad][j][t] = valid ? dy[(first_row + t) * outputs + j] : 0.0f;
      }
      for (int l = p.layers - 1; l >= 0; --l) {
        const int fan_in = p.widths[l], fan_out = p.widths[l + 1];
        const int input = 1 - grad;
        const float* w = p.params + p.params_at.of(member) + p.layer_at[l];
        if (l == 0) {
          for (int i = 0; i < fan_in; ++i) {
            tiles[input][i][t] = valid ? x[(first_row + t) * fan_in + i] : 0.0f;
          }
        } else {
          const float* from = saved + p.hidden_at[l] * kMlpThreads;
          for (int e = t; e < fan_in * kMlpThreads; e += kMlpThreads) {
            tiles[input][e / kMlpThreads][e % kMlpThreads] = from[e];
          }
        }
        for (int e = t; e < fan_in * fan_out; e += kMlpThreads) {
          weights[e / fan_out * kMlpWidth + e % fan_out] = w[e];
        }
        __syncthreads();
        mlp_weight_gradient(tiles[input], tiles[grad], fan_in, fan_out, partial + p.partial_at[l]);
        __syncthreads();  // the input's gradient overwrites the input
        // The input's gradient, sum over j of W[i][j] grad[j][r]: for a hidden layer's input
        // times tanh' from its output, in place; the first layer's is dx, skipped when not
        // wanted (null).
        if (fan_in <= kMlpMicro && (l > 0 || p.dx != nullptr)) {
          // At most 8 inputs (the network's input, often one): thread t takes row t alone,
          // so that all 64 threads work (8-row tiles would leave 56 idle).
          float acc[kMlpMicro] = {};
          for (int j = 0; j < fan_out; ++j) {
            const float g = tiles[grad][j][t];
#pragma unroll
            for (int c = 0; c < kMlpMicro; ++c) {
              acc[c] = fmaf(weights[c * kMlpWidth + j], g, acc[c]);  // past fan_in: discarded
            }
          }
          const int64_t row = first_row + t;
#pragma unroll
          for (int c = 0; c < kMlpMicro; ++c) {
            if (c >= fan_in) break;
            if (l > 0) {
              const float a = tiles[input][c][t];
              tiles[input][c][t] = acc[c] * (1.0f - a * a);
            } else if (row < p.n) {
              p.dx[(member * p.n + row) * fan_in + c] = acc[c];
            }
          }
        } else if (i0 < fan_in && (l > 0 || p.dx != nullptr)) {
          float acc[kMlpMicro][8] = {};  // [input][row]
          // Four outputs j a step: one vector load of W[i][j..j+3] per input i, the same for
          // the 8 lanes of a quarter-warp (a broadcast); rows of inputs past fan_in: discarded.
          int j = 0;
          for (; j + 4 <= fan_out; j += 4) {
            float4 wi[kMlpMicro];
#pragma unroll
            for (int c = 0; c < kMlpMicro; ++c) {
              wi[c] = *reinterpret_cast<const float4*>(weights + (i0 + c) * kMlpWidth + j);
            }
            float g[4][8];
#pragma unroll
            for (int q = 0; q < 4; ++q) load_lane_rows(tiles[grad][j + q], lane, g[q]);
#pragma unroll
            for (int c = 0; c < kMlpMicro; ++c) {
#pragma unroll
              for (int r = 0; r < 8; ++r) {
                acc[c][r] = fmaf(wi[c].x, g[0][r], acc[c][r]);
                acc[c][r] = fmaf(wi[c].y, g[1][r], acc[c][r]);
                acc[c][r] = fmaf(wi[c].z, g[2][r], acc[c][r]);
                acc[c][r] = fmaf(wi[c].w, g[3][r], acc[c][r]);
              }
            }
          }
          for (; j < fan_out; ++j) {  // the last fan_out % 4: never past fan_out's gradients
            float g[8];
            load_lane_rows(tiles[grad][j], lane, g);
#pragma unroll
            for (int c = 0; c < kMlpMicro; ++c) {
              const float wc = weights[(i0 + c) * kMlpWidth + j];
#pragma unroll
              for (int r = 0; r < 8; ++r) acc[c][r] = fmaf(wc, g[r], acc[c][r]);
            }
          }
#pragma unroll
          for (int c = 0; c < kMlpMicro; ++c) {
            const int i = i0 + c;
            if (i >= fan_in) break;
            if (l > 0) {
              float a[8];
              load_lane_rows(tiles[input][i], lane, a);
#pragma unroll
              for (int r = 0; r < 8; ++r) acc[c][r] *= 1.0f - a[r] * a[r];
              store_lane_rows(tiles[input][i], lane, acc[c]);
            } else {
#pragma unroll
              for (int r = 0; r < 8; ++r) {
                const int64_t row = first_row + mlp_tile_row(lane, r);
                if (row < p.n) p.dx[(member * p.n + row) * fan_in + i] = acc[c][r];
              }
            }
          }
        }
        grad = input;
        __syncthreads();
      }
    }
  }
}

// A member's gradients = the sum of its slots and their row segments, in order, each element
// read from where its layer's block of a partial keeps it (MlpParams::partial_at).
__global__ void mlp_sum_partials(const MlpParams p) {
  const int64_t size = p.layer_at[p.layers], partial_size = p.partial_at[p.layers];
  const int64_t total = p.members * size;
  for (int64_t at = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; at < total;
       at += int64_t{gridDim.x} * blockDim.x) {
    const int64_t member = at / size, e = at % size;
    int l = 0;
    while (e >= p.layer_at[l + 1]) ++l;
    const int fan_in = p.widths[l], fan_out = p.widths[l + 1];
    const int64_t local = e - p.layer_at[l];
    const int tiles = mlp_weight_tiles(fan_in, fan_out);
    int segments = mlp_weight_segments(tiles);
    int64_t from = p.partial_at[l];
    if (local < int64_t{fan_in} * fan_out) {
      const int i = static_cast<int>(local / fan_out), j = static_cast<int>(local % fan_out);
      const int tile = i / kMlpMicro * mlp_blocks(fan_out) + j / kMlpMicro;
      from += (i % kMlpMicro * kMlpMicro + j % kMlpMicro) * segments * tiles + tile;
    } else {
      const int64_t j = local - int64_t{fan_in} * fan_out;  // a bias: one sum over all rows
      from += kMlpMicro * kMlpMicro * segments * tiles + j;
      segments = 1;
    }
    const float* slot = p.partials + member * p.slots * partial_size + from;
    float sum = 0.0f;
    for (int s = 0; s < p.slots; ++s) {
      for (int g = 0; g < segments; ++g) sum += slot[s * partial_size + g * tiles];
    }
    p.grads[at] = sum;
  }
}

}  // namespace nnreg::cuda
