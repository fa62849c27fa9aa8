// Row-range kernels, templated on the rows per register tile (R) and floats per register (L). Only isa_variants.cc includes
// this: everything here is force-inlined into one function per instruction set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/dense_tanh_cpu.h"
#include "cpu/fast_tanh.h"
#include "cpu/inline.h"
#include "cpu/tile.h"

namespace nnreg::cpu {

// Rows of dz kept at once in the backward pass: 64 rows × 64 columns fill 16 KiB of L1.
constexpr int64_t kBackwardRowBlock = 64;

// Copies the columns of a rows×cols matrix (element (i, j) at src[i * row_stride + j *
// col_stride]) into zero-padded panels of kPanel columns: panel p, row i at
// out[(p * rows + i) * kPanel].
NNREG_INLINE void pack_panels(const float* __restrict src, int64_t rows, int64_t cols,
                              int64_t row_stride, int64_t col_stride, float* __restrict out) {
  for (int64_t p = 0; p < panel_count(cols); ++p) {
    for (int64_t i = 0; i < rows; ++i) {
      float* __restrict dst = out + (p * rows + i) * kPanel;
      for (int c = 0; c < kPanel; ++c) {
        const int64_t j = p * kPanel + c;
        dst[c] = j < cols ? src[i * row_stride + j * col_stride] : 0.0f;
      }
    }
  }
}

// y rows [row, row + R) of one layer, from packed W panels and padded bias.
template <int R, int L>
NNREG_INLINE void forward_tile(const float* __restrict x, const float* __restrict panels,
                               const float* __restrict bias, int64_t k, int64_t m,
                               float* __restrict y) {
  for (int64_t p = 0; p < panel_count(m); ++p) {
    Tile<R, L> product;
    product.multiply(x, k, 1, panels + p * k * kPanel, kPanel, k);
    float tile[R][kPanel];
    product.unpack(tile);
    const float* __restrict panel_bias = bias + p * kPanel;
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < kPanel; ++c) tile[r][c] = fast_tanh(tile[r][c] + panel_bias[c]);
      store_columns(y + r * m + p * kPanel, tile[r], std::min<int64_t>(kPanel, m - p * kPanel));
    }
  }
}

template <int R, int L>
NNREG_INLINE void forward_rows(const ForwardArgs& args, int64_t layer, int64_t begin,
                               int64_t end) {
  const int64_t n = args.shape.n, k = args.shape.k, m = args.shape.m;
  const int64_t padded_m = panel_count(m) * kPanel;
  std::vector<float> panels(k * padded_m), bias(padded_m);
  pack_panels(args.w + layer * k * m, k, m, m, 1, panels.data());
  pack_panels(args.b + layer * m, 1, m, 0, 1, bias.data());
  const float* x = args.x + layer * n * k;
  float* y = args.y + layer * n * m;
  int64_t row = begin;
  for (; row + R <= end; row += R) {
    forward_tile<R, L>(x + row * k, panels.data(), bias.data(), k, m, y + row * m);
  }
  for (; row < end; ++row) forward_tile<1, L>(x + row * k, panels.data(), bias.data(), k, m, y + row * m);
}

// dx rows [0, R) = dz rows · Wᵀ, with dz rows padded to padded_m and Wᵀ packed in panels.
template <int R, int L>
NNREG_INLINE void input_grad_tile(const float* __restrict dz, int64_t padded_m,
                                  const float* __restrict wt_panels, int64_t k, int64_t m,
                                  float* __restrict dx) {
  for (int64_t p = 0; p < panel_count(k); ++p) {
    Tile<R, L> product;
    product.multiply(dz, padded_m, 1, wt_panels + p * m * kPanel, kPanel, m);
    float tile[R][kPanel];
    product.unpack(tile);
    for (int r = 0; r < R; ++r) {
      store_columns(dx + r * k + p * kPanel, tile[r], std::min<int64_t>(kPanel, k - p * kPanel));
    }
  }
}

// dW rows [0, R) += x columns [0, R)ᵀ · dz, over `rows` rows of x (row stride k) and dz.
template <int R, int L>
NNREG_INLINE void weight_grad_tile(const float* __restrict x, int64_t k,
                                   const float* __restrict dz, int64_t padded_m, int64_t rows,
                                   int64_t m, float* __restrict dw) {
  for (int64_t p = 0; p < panel_count(m); ++p) {
    Tile<R, L> product;
    product.multiply(x, 1, k, dz + p * kPanel, padded_m, rows);
    float tile[R][kPanel];
    product.unpack(tile);
    const int64_t columns = std::min<int64_t>(kPanel, m - p * kPanel);
    for (int r = 0; r < R; ++r) {
      float* __restrict out = dw + r * m + p * kPanel;
      for (int64_t c = 0; c < columns; ++c) out[c] += tile[r][c];
    }
  }
}

template <int R, int L>
NNREG_INLINE void backward_rows(const BackwardArgs& args, int64_t layer, int64_t begin,
                                int64_t end, float* dw, float* db) {
  const int64_t n = args.shape.n, k = args.shape.k, m = args.shape.m;
  const int64_t padded_m = panel_count(m) * kPanel;
  std::vector<float> wt_panels(panel_count(k) * kPanel * m);
  std::vector<float> dz(kBackwardRowBlock * padded_m);
  std::vector<float> db_sum(padded_m, 0.0f), block_sum(padded_m);
  pack_panels(args.w + layer * k * m, m, k, 1, m, wt_panels.data());
  std::fill(dw, dw + k * m, 0.0f);
  const float* x = args.x + layer * n * k;
  const float* y = args.y + layer * n * m;
  const float* dy = args.dy + layer * n * m;
  float* dx = args.dx + layer * n * k;

  for (int64_t block = begin; block < end; block += kBackwardRowBlock) {
    const int64_t rows = std::min(kBackwardRowBlock, end - block);
    std::fill(block_sum.begin(), block_sum.end(), 0.0f);
    for (int64_t i = 0; i < rows; ++i) {
      const float* __restrict y_row = y + (block + i) * m;
      const float* __restrict dy_row = dy + (block + i) * m;
      float* __restrict dz_row = dz.data() + i * padded_m;
      for (int64_t j = 0; j < m; ++j) dz_row[j] = dy_row[j] * (1.0f - y_row[j] * y_row[j]);
      for (int64_t j = m; j < padded_m; ++j) dz_row[j] = 0.0f;
      for (int64_t j = 0; j < padded_m; ++j) block_sum[j] += dz_row[j];
    }
    // Summing per block first keeps float rounding low for long row ranges.
    for (int64_t j = 0; j < padded_m; ++j) db_sum[j] += block_sum[j];
    int64_t i = 0;
    for (; i + R <= rows; i += R) {
      input_grad_tile<R, L>(dz.data() + i * padded_m, padded_m, wt_panels.data(), k, m,
                         dx + (block + i) * k);
    }
    for (; i < rows; ++i) {
      input_grad_tile<1, L>(dz.data() + i * padded_m, padded_m, wt_panels.data(), k, m,
                         dx + (block + i) * k);
    }
    int64_t col = 0;
    for (; col + R <= k; col += R) {
      weight_grad_tile<R, L>(x + block * k + col, k, dz.data(), padded_m, rows, m, dw + col * m);
    }
    for (; col < k; ++col) {
      weight_grad_tile<1, L>(x + block * k + col, k, dz.data(), padded_m, rows, m, dw + col * m);
    }
  }
  std::copy(db_sum.begin(), db_sum.begin() + m, db);
}

}  // namespace nnreg::cpu
