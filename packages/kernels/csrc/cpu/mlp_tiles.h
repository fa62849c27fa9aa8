// The tile kernels of mlp_tanh on CPUs, templated on the floats per vector register (L) and
// the rows per weight-gradient register tile (R). A tile is kMlpTileRows rows held
// feature-major (feature f of row t at f * kMlpTileRows + t), so rows run along the vector
// lanes whatever the layer widths, and every layer of a tile runs while its activations are
// still in L1. Only mlp_isa_variants.cc includes this: everything is force-inlined into one
// function per instruction set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu/fast_tanh.h"
#include "cpu/inline.h"
#include "cpu/mlp_tanh_cpu.h"
#include "cpu/tile.h"

namespace nnreg::cpu {

template <int L>
using Vec = typename Lanes<L>::Vector;

// Outputs [o, o + OB) of out[o][t] = bias[o] + sum over k < depth of M(o, k) in[k][t], with
// M(o, k) = m[o * so + k * sk]: OB × V accumulators, each loaded input vector used OB times.
template <int L, int OB>
NNREG_INLINE void product_block(const float* __restrict m, int64_t so, int64_t sk,
                                const float* __restrict bias, int64_t depth,
                                const float* __restrict in, float* __restrict out, int64_t o) {
  constexpr int V = kMlpTileRows / L;
  Vec<L> acc[OB][V];
  for (int ob = 0; ob < OB; ++ob) {
    const float start = bias ? bias[o + ob] : 0.0f;
    for (int v = 0; v < V; ++v) acc[ob][v] = Vec<L>{} + start;
  }
  for (int64_t k = 0; k < depth; ++k) {
    Vec<L> row[V];
    // One copy per register, as in Tile::multiply. Vectors never cross a function
    // boundary: their ABI depends on the instruction set of the caller.
    for (int v = 0; v < V; ++v) std::memcpy(&row[v], in + k * kMlpTileRows + v * L, sizeof row[v]);
    for (int ob = 0; ob < OB; ++ob) {
      const float scale = m[(o + ob) * so + k * sk];
      for (int v = 0; v < V; ++v) acc[ob][v] += scale * row[v];
    }
  }
  for (int ob = 0; ob < OB; ++ob) {
    for (int v = 0; v < V; ++v) {
      std::memcpy(out + (o + ob) * kMlpTileRows + v * L, &acc[ob][v], sizeof acc[ob][v]);
    }
  }
}

// All `outs` outputs; OB is chosen so that OB × V accumulators fill 16 registers.
template <int L>
NNREG_INLINE void product(const float* m, int64_t so, int64_t sk, const float* bias,
                          int64_t outs, int64_t depth, const float* in, float* out) {
  constexpr int OB = std::max(1, 16 * L / static_cast<int>(kMlpTileRows));
  int64_t o = 0;
  for (; o + OB <= outs; o += OB) product_block<L, OB>(m, so, sk, bias, depth, in, out, o);
  for (; o < outs; ++o) product_block<L, 1>(m, so, sk, bias, depth, in, out, o);
}

NNREG_INLINE void tanh_in_place(float* __restrict h, int64_t features) {
  for (int64_t i = 0; i < features * kMlpTileRows; ++i) h[i] = fast_tanh(h[i]);
}

// Row-major rows [row, row + count) of a (rows × width) matrix into feature-major tile rows
// [0, width), zero beyond `count`.
NNREG_INLINE void load_rows(const float* __restrict from, int64_t width, int64_t count,
                            float* __restrict tile) {
  for (int64_t f = 0; f < width; ++f) {
    float* __restrict to = tile + f * kMlpTileRows;
    for (int64_t t = 0; t < count; ++t) to[t] = from[t * width + f];
    for (int64_t t = count; t < kMlpTileRows; ++t) to[t] = 0.0f;
  }
}

NNREG_INLINE void store_rows(const float* __restrict tile, int64_t width, int64_t count,
                             float* __restrict to) {
  for (int64_t t = 0; t < count; ++t) {
    for (int64_t f = 0; f < width; ++f) to[t * width + f] = tile[f * kMlpTileRows + t];
  }
}

// Per-task buffers: each layer's input tile (k_l features and a row of ones, which turns the
// bias gradient into one more row of the weight-gradient product), and the gradients.
struct MlpTileBuffers {
  std::vector<int64_t> input_at;  // offset of layer l's input tile
  std::vector<float> inputs;
  std::vector<float> grad, grad_next, transposed;

  explicit MlpTileBuffers(const MlpShape& shape) : input_at(shape.layers() + 1) {
    int64_t total = 0;
    for (int64_t l = 0; l <= shape.layers(); ++l) {
      input_at[l] = total;
      total += (shape.widths[l] + 1) * kMlpTileRows;
    }
    inputs.assign(total, 1.0f);
    grad.resize(kMlpMaxWidth * kMlpTileRows);
    grad_next.resize(kMlpMaxWidth * kMlpTileRows);
    transposed.resize(kMlpTileRows * panel_count(kMlpMaxWidth) * kPanel);
  }
  float* input(int64_t layer) { return inputs.data() + input_at[layer]; }
};

// Forward through every layer for the tile starting at `row` (count rows valid). Leaves each
// layer's input in buffers.input(l) and the network's output in buffers.input(layers).
template <int L>
NNREG_INLINE void forward_tile(const MlpForwardArgs& args, int64_t member, int64_t row,
                               int64_t count, MlpTileBuffers& buffers) {
  const MlpShape& shape = args.shape;
  const int64_t layers = shape.layers();
  load_rows(args.x.of(member) + row * shape.inputs(), shape.inputs(), count, buffers.input(0));
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
    float* out = buffers.input(l + 1);
    product<L>(args.w[l].of(member), 1, fan_out, args.b[l].of(member), fan_out, fan_in,
               buffers.input(l), out);
    if (l + 1 < layers) tanh_in_place(out, fan_out);
  }
}

template <int L>
NNREG_INLINE void mlp_forward_rows(const MlpForwardArgs& args, int64_t member, int64_t begin,
                                   int64_t end) {
  const MlpShape& shape = args.shape;
  const int64_t n = shape.n, layers = shape.layers();
  MlpTileBuffers buffers(shape);
  float* y = args.y + member * n * shape.outputs();
  float* saved = args.activations ? args.activations + member * shape.hidden_total() * n : nullptr;
  for (int64_t row = begin; row < end; row += kMlpTileRows) {
    const int64_t count = std::min(kMlpTileRows, end - row);
    forward_tile<L>(args, member, row, count, buffers);
    store_rows(buffers.input(layers), shape.outputs(), count, y + row * shape.outputs());
    if (!saved) continue;
    int64_t feature = 0;
    for (int64_t l = 1; l < layers; ++l) {
      for (int64_t f = 0; f < shape.widths[l]; ++f, ++feature) {
        std::memcpy(saved + feature * n + row, buffers.input(l) + f * kMlpTileRows,
                    count * sizeof(float));
      }
    }
  }
}

// grads rows [0, R), columns [0, columns) += input rows [0, R) · panel, over the tile's rows.
template <int R, int L>
NNREG_INLINE void add_grad_rows(const float* __restrict input, const float* __restrict panel,
                                int64_t panel_step, int64_t columns, float* __restrict grads,
                                int64_t grads_step) {
  Tile<R, L> product;
  product.multiply(input, kMlpTileRows, 1, panel, panel_step, kMlpTileRows);
  float sums[R][kPanel];
  product.unpack(sums);
  for (int r = 0; r < R; ++r) {
    for (int64_t c = 0; c < columns; ++c) grads[r * grads_step + c] += sums[r][c];
  }
}

// grads[i][j] += sum over the tile's rows of input[i][t] grad[j][t], for the fan_in + 1 rows
// of the layer's input tile (the last, all ones, gives db): the gradient is transposed so
// that lanes run along j and no horizontal sums are needed.
template <int R, int L>
NNREG_INLINE void weight_grad_tile(const float* __restrict input, int64_t fan_in,
                                   const float* __restrict grad, int64_t fan_out,
                                   float* __restrict transposed, float* __restrict grads) {
  const int64_t padded = panel_count(fan_out) * kPanel;
  for (int64_t t = 0; t < kMlpTileRows; ++t) {
    for (int64_t j = 0; j < fan_out; ++j) transposed[t * padded + j] = grad[j * kMlpTileRows + t];
    for (int64_t j = fan_out; j < padded; ++j) transposed[t * padded + j] = 0.0f;
  }
  const int64_t rows = fan_in + 1;
  for (int64_t p = 0; p < panel_count(fan_out); ++p) {
    const int64_t columns = std::min<int64_t>(kPanel, fan_out - p * kPanel);
    int64_t i = 0;
    for (; i + R <= rows; i += R) {
      add_grad_rows<R, L>(input + i * kMlpTileRows, transposed + p * kPanel, padded, columns,
                          grads + i * fan_out + p * kPanel, fan_out);
    }
    for (; i < rows; ++i) {
      add_grad_rows<1, L>(input + i * kMlpTileRows, transposed + p * kPanel, padded, columns,
                          grads + i * fan_out + p * kPanel, fan_out);
    }
  }
}

template <int R, int L>
NNREG_INLINE void mlp_backward_rows(const MlpBackwardArgs& args, int64_t member, int64_t begin,
                                    int64_t end, float* grads) {
  const MlpShape& shape = args.shape;
  const int64_t n = shape.n, layers = shape.layers();
  MlpTileBuffers buffers(shape);
  std::vector<int64_t> grads_at(layers + 1, 0);
  for (int64_t l = 0; l < layers; ++l) {
    grads_at[l + 1] = grads_at[l] + (shape.widths[l] + 1) * shape.widths[l + 1];
  }
  std::fill(grads, grads + grads_at[layers], 0.0f);
  const float* saved = args.activations.of(member);
  const float* dy = args.dy.of(member);
  float* dx = args.dx + member * n * shape.inputs();
  for (int64_t row = begin; row < end; row += kMlpTileRows) {
    const int64_t count = std::min(kMlpTileRows, end - row);
    load_rows(args.x.of(member) + row * shape.inputs(), shape.inputs(), count, buffers.input(0));
    int64_t feature = 0;
    for (int64_t l = 1; l < layers; ++l) {
      for (int64_t f = 0; f < shape.widths[l]; ++f, ++feature) {
        float* to = buffers.input(l) + f * kMlpTileRows;
        std::memcpy(to, saved + feature * n + row, count * sizeof(float));
        std::fill(to + count, to + kMlpTileRows, 0.0f);
      }
    }
    // Rows past `count` get a zero gradient, so they add nothing to the weight gradients.
    load_rows(dy + row * shape.outputs(), shape.outputs(), count, buffers.grad.data());
    for (int64_t l = layers - 1; l >= 0; --l) {
      const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
      const float* input = buffers.input(l);
      weight_grad_tile<R, L>(input, fan_in, buffers.grad.data(), fan_out,
                                           buffers.transposed.data(), grads + grads_at[l]);
      // dInput[i][t] = sum over j of W[i][j] grad[j][t]
      product<L>(args.w[l].of(member), fan_out, 1, nullptr, fan_in, fan_out,
                 buffers.grad.data(), buffers.grad_next.data());
      if (l == 0) {
        store_rows(buffers.grad_next.data(), fan_in, count, dx + row * fan_in);
        break;
      }
      // tanh's derivative from its output: 1 - y².
      float* __restrict next = buffers.grad_next.data();
      for (int64_t i = 0; i < fan_in * kMlpTileRows; ++i) {
        next[i] *= 1.0f - input[i] * input[i];
      }
      std::swap(buffers.grad, buffers.grad_next);
    }
  }
}

}  // namespace nnreg::cpu
