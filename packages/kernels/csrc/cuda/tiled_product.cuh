// One shared-memory tiled matrix product, C = A B per layer, with the way A and B are read
// and C is written supplied by a Problem type. The forward pass, dx and dW all use it.
#pragma once

#include <cstdint>

namespace nnreg::cuda {

template <class T>
__host__ __device__ constexpr T smaller(T a, T b) {
  return a < b ? a : b;
}

// Depth (reduction) elements staged in shared memory per step.
constexpr int kDepthTile = 32;
// Padding of shared tile rows: keeps float4 alignment and makes the transposing stores of
// depth-contiguous A conflict-free (row stride ≡ 4 banks).
constexpr int kTilePad = 4;

// The start of the depth tile after the one at t0, or `end`: t0 + kDepthTile itself would
// wrap past 2^31 for depths within a tile of INT_MAX.
__host__ __device__ constexpr int next_depth_tile(int t0, int end) {
  return end - t0 > kDepthTile ? t0 + kDepthTile : end;
}

// A block computes a BM×BN tile of C, each thread a TM×TN sub-tile held in registers.
template <int BM, int BN, int TM, int TN>
struct TileShape {
  static_assert(TM % 4 == 0 && TN == 4, "sub-tiles are read from shared memory as float4");
  static_assert(BM % 32 == 0 && BN % 32 == 0, "tile extents are whole warps");
  static constexpr int kThreadsPerRow = BN / TN;
  static constexpr int kThreads = (BM / TM) * kThreadsPerRow;
  static_assert(kThreads % 32 == 0 && (BM * kDepthTile) % kThreads == 0 &&
                    (BN * kDepthTile) % kThreads == 0,
                "every thread loads the same number of tile elements");
};

// Problem provides:
//   int64_t layers; int rows, cols, depth;       extents of C (rows×cols) and of the sum
//   static constexpr bool kDepthContiguousA;     A(i, t) and A(i, t + 1) are adjacent
//   Layer layer(int64_t index);                  one layer's view, with
//     float a(int i, int t), b(int t, int c);    operands, called only in bounds
//     void store(int split, int i, int c, const float (&v)[4], int count);  C(i, c..c+count)
// Offsets within a layer are 32-bit (launch_plan.cuh checks they fit): 64-bit index
// arithmetic, even once per block for the split's end, costs enough registers to halve
// occupancy. No int wraps for extents up to INT_MAX all the same: the split's end and the
// next depth tile are clamped by differences, depth bounds are tested as differences, and
// row and column tiles start at multiples of BM and BN (powers of two).
// Every split but a sole one is a whole number of depth tiles.
// Grid: x = row tiles × column tiles, y = splits of the depth (each split sums
// `split_depth` elements of it and stores its partial C), z strides over layers.
template <int BM, int BN, int TM, int TN, class Problem>
__global__ void __launch_bounds__(TileShape<BM, BN, TM, TN>::kThreads)
    tiled_product(const Problem problem, int col_tiles, int split_depth) {
  using Shape = TileShape<BM, BN, TM, TN>;
  __shared__ __align__(16) float a_tile[kDepthTile][BM + kTilePad];
  __shared__ __align__(16) float b_tile[kDepthTile][BN + kTilePad];

  const int thread = static_cast<int>(threadIdx.x);
  const int thread_col = thread % Shape::kThreadsPerRow;
  const int thread_row = thread / Shape::kThreadsPerRow;
  const int row0 = static_cast<int>(blockIdx.x / col_tiles) * BM;
  const int col0 = static_cast<int>(blockIdx.x % col_tiles) * BN;
  const int split = static_cast<int>(blockIdx.y);
  const int depth_begin = split * split_depth;
  const int depth_end = depth_begin + smaller(split_depth, problem.depth - depth_begin);

  for (int64_t layer_index = blockIdx.z; layer_index < problem.layers;
       layer_index += gridDim.z) {
    const auto layer = problem.layer(layer_index);
    float acc[TM][TN] = {};
    for (int t0 = depth_begin; t0 < depth_end; t0 = next_depth_tile(t0, depth_end)) {
      // Stage A transposed (a_tile[t][i]) and B (b_tile[t][c]); zeros outside the bounds.
#pragma unroll
      for (int step = 0; step < BM * kDepthTile / Shape::kThreads; ++step) {
        const int e = thread + step * Shape::kThreads;
        int i, t;
        if constexpr (Problem::kDepthContiguousA) {
          // A warp reads 4 rows × 8 adjacent depth elements: whole 32-byte sectors.
          const int group = e / 32;
          t = group % (kDepthTile / 8) * 8 + e % 8;
          i = group / (kDepthTile / 8) * 4 + e / 8 % 4;
        } else {
          i = e % BM;
          t = e / BM;
        }
        const bool inside = row0 + i < problem.rows && t < depth_end - t0;
        a_tile[t][i] = inside ? layer.a(row0 + i, t0 + t) : 0.0f;
      }
#pragma unroll
      for (int step = 0; step < BN * kDepthTile / Shape::kThreads; ++step) {
        const int e = thread + step * Shape::kThreads;
        const int c = e % BN, t = e / BN;
        const bool inside = col0 + c < problem.cols && t < depth_end - t0;
        b_tile[t][c] = inside ? layer.b(t0 + t, col0 + c) : 0.0f;
      }
      __syncthreads();
#pragma unroll
      for (int t = 0; t < kDepthTile; ++t) {
        float a_frag[TM], b_frag[TN];
#pragma unroll
        for (int i = 0; i < TM; i += 4) {
          const float4 v = *reinterpret_cast<const float4*>(&a_tile[t][thread_row * TM + i]);
          a_frag[i] = v.x, a_frag[i + 1] = v.y, a_frag[i + 2] = v.z, a_frag[i + 3] = v.w;
        }
        const float4 v = *reinterpret_cast<const float4*>(&b_tile[t][thread_col * TN]);
        b_frag[0] = v.x, b_frag[1] = v.y, b_frag[2] = v.z, b_frag[3] = v.w;
#pragma unroll
        for (int i = 0; i < TM; ++i) {
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
        }
      }
      __syncthreads();
    }
    const int col = col0 + thread_col * TN;
    if (col < problem.cols) {
      const int count = smaller(TN, problem.cols - col);
#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const int row = row0 + thread_row * TM + i;
        if (row < problem.rows) layer.store(split, row, col, acc[i], count);
      }
    }
  }
}

}  // namespace nnreg::cuda
