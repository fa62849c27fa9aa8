// The tile kernels of mlp_tanh on CPUs, templated on the floats per vector register (L). A
// tile is kMlpTileRows rows held feature-major (feature f of row t at f * kMlpTileRows + t),
// so rows run along the vector lanes whatever the layer widths, and every layer of a tile
// runs while its activations are still in L1. Only mlp_isa_variants.cc includes this:
// everything is force-inlined into one function per instruction set.
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

// Vectors are copied in and out with memcpy, one register at a time, as in Tile::multiply,
// and never pass by value: their calling convention depends on the caller's instruction set.

// Vector registers: 32 with AVX-512 (L = 16), 16 with AVX2 and SSE/NEON.
template <int L>
constexpr int kVectorRegisters = L == 16 ? 32 : 16;

// What a product does to its sums before storing them: nothing, or multiply by tanh's
// derivative 1 - y², y the layer's saved output (a hidden layer's input gradient in the
// backward; see input_gradient). tanh itself stays a pass of its own: applied to the sums
// in registers it gained nothing with AVX-512 and cost AVX2 13% (spills).
enum class Epilogue { kNone, kTanhDerivative };

// d *= 1 - y², tanh's derivative from its output y (L floats at `y`).
template <int L>
NNREG_INLINE void times_tanh_derivative(Vec<L>& d, const float* __restrict y) {
  Vec<L> saved;
  std::memcpy(&saved, y, sizeof saved);
  d *= 1.0f - saved * saved;
}

// Outputs [o, o + OB) of out[o][t] = bias[o] + sum over k < depth of M(o, k) in[k][t] for the
// first V * L rows t of a tile, with M(o, k) = m[o * so + k * sk], then the epilogue E
// (kTanhDerivative reads y[o][t]): OB × V accumulators. Where registers allow, a tile row of
// inputs is loaded once per k and serves all OB outputs; otherwise (AVX2, SSE) the inputs
// are loaded one vector at a time, since holding a whole row too spilled the accumulators
// to the stack (the AVX2 variant's forward and backward ran 1.7x slower).
template <int L, int V, int OB, Epilogue E>
NNREG_INLINE void product_block(const float* __restrict m, int64_t so, int64_t sk,
                                const float* __restrict bias, int64_t depth,
                                const float* __restrict in, const float* __restrict y,
                                float* __restrict out, int64_t o) {
  Vec<L> acc[OB][V];
  for (int ob = 0; ob < OB; ++ob) {
    const float start = bias ? bias[o + ob] : 0.0f;
    for (int v = 0; v < V; ++v) acc[ob][v] = Vec<L>{} + start;
  }
  for (int64_t k = 0; k < depth; ++k) {
    const float* __restrict row_k = in + k * kMlpTileRows;
    if constexpr ((OB + 1) * V < kVectorRegisters<L>) {
      Vec<L> row[V];
      for (int v = 0; v < V; ++v) std::memcpy(&row[v], row_k + v * L, sizeof row[v]);
      for (int ob = 0; ob < OB; ++ob) {
        const float scale = m[(o + ob) * so + k * sk];
        for (int v = 0; v < V; ++v) acc[ob][v] += scale * row[v];
      }
    } else {
      Vec<L> scale[OB];
      for (int ob = 0; ob < OB; ++ob) scale[ob] = Vec<L>{} + m[(o + ob) * so + k * sk];
      for (int v = 0; v < V; ++v) {
        Vec<L> row;
        std::memcpy(&row, row_k + v * L, sizeof row);
        for (int ob = 0; ob < OB; ++ob) acc[ob][v] += scale[ob] * row;
      }
    }
  }
  for (int ob = 0; ob < OB; ++ob) {
    for (int v = 0; v < V; ++v) {
      const int64_t at = (o + ob) * kMlpTileRows + v * L;
      if constexpr (E == Epilogue::kTanhDerivative) times_tanh_derivative<L>(acc[ob][v], y + at);
      std::memcpy(out + at, &acc[ob][v], sizeof acc[ob][v]);
    }
  }
}

// All `outs` outputs. OB outputs at a time: with AVX-512, 4 (16 accumulators, the row's 4
// vectors beside them); with 16 registers, as many as fit with their broadcast weights and
// one input vector (1 for a 64-row tile).
template <int L, int V, Epilogue E>
NNREG_INLINE void product(const float* m, int64_t so, int64_t sk, const float* bias,
                          int64_t outs, int64_t depth, const float* in, const float* y,
                          float* out) {
  constexpr int OB = L == 16 ? 4 : std::max(1, (kVectorRegisters<L> - 1) / (V + 1));
  int64_t o = 0;
  for (; o + OB <= outs; o += OB) {
    product_block<L, V, OB, E>(m, so, sk, bias, depth, in, y, out, o);
  }
  for (; o < outs; ++o) product_block<L, V, 1, E>(m, so, sk, bias, depth, in, y, out, o);
}

// A hidden layer's input gradient for the first V * L rows of a tile: next[i][t] = (sum over j
// of W[i][j] grad[j][t]) (1 - y[i][t]²), y the layer's input (the previous layer's output).
// With 32 registers the derivative is applied to the sums before they are stored, which cut
// the lecture's backward by 8-10% (a separate pass loads and stores every value again); with
// 16 that cost AVX2 7%, so there it is a pass of its own.
template <int L, int V>
NNREG_INLINE void input_gradient(const float* w, int64_t fan_in, int64_t fan_out,
                                 const float* grad, const float* y, float* next) {
  if constexpr (kVectorRegisters<L> == 32) {
    product<L, V, Epilogue::kTanhDerivative>(w, fan_out, 1, nullptr, fan_in, fan_out, grad, y,
                                             next);
  } else {
    product<L, V, Epilogue::kNone>(w, fan_out, 1, nullptr, fan_in, fan_out, grad, nullptr, next);
    for (int64_t i = 0; i < fan_in; ++i) {
      for (int v = 0; v < V; ++v) {
        const int64_t at = i * kMlpTileRows + v * L;
        Vec<L> d;
        std::memcpy(&d, next + at, sizeof d);
        times_tanh_derivative<L>(d, y + at);
        std::memcpy(next + at, &d, sizeof d);
      }
    }
  }
}

template <int L, int V>
NNREG_INLINE void tanh_features(float* __restrict h, int64_t features) {
  for (int64_t f = 0; f < features; ++f) {
    for (int v = 0; v < V; ++v) {
      float* at = h + f * kMlpTileRows + v * L;
      Vec<L> x;
      std::memcpy(&x, at, sizeof x);
      tanh_in_place<Vec<L>, typename Lanes<L>::Bits>(x);
      std::memcpy(at, &x, sizeof x);
    }
  }
}

// A tile's rows are computed in quarters: a last tile of a few rows (400 = 6 × 64 + 16)
// runs only the quarters it needs, not a whole tile of zero rows. kTileQuarter is a whole
// number of vectors for every instruction set.
constexpr int64_t kTileQuarter = kMlpTileRows / 4;

// Calls tile.template run<V>() with V the vectors per tile row that cover `count` rows.
template <int L, class Tile>
NNREG_INLINE void run_tile_quarters(int64_t count, Tile& tile) {
  constexpr int kQuarterVectors = static_cast<int>(kTileQuarter) / L;
  switch ((count + kTileQuarter - 1) / kTileQuarter) {
    case 1:
      tile.template run<kQuarterVectors>();
      break;
    case 2:
      tile.template run<2 * kQuarterVectors>();
      break;
    case 3:
      tile.template run<3 * kQuarterVectors>();
      break;
    default:
      tile.template run<4 * kQuarterVectors>();
      break;
  }
}

// Row-major rows [0, count) of a (rows × width) matrix into feature-major tile rows
// [0, width), zero beyond `count`. One column (every network's output, the lecture's input)
// is a plain copy, which the compiler vectorises; strided, it cost 5% of a pass.
NNREG_INLINE void load_rows(const float* __restrict from, int64_t width, int64_t count,
                            float* __restrict tile) {
  if (width == 1) {
    for (int64_t t = 0; t < count; ++t) tile[t] = from[t];
    for (int64_t t = count; t < kMlpTileRows; ++t) tile[t] = 0.0f;
    return;
  }
  for (int64_t f = 0; f < width; ++f) {
    float* __restrict to = tile + f * kMlpTileRows;
    for (int64_t t = 0; t < count; ++t) to[t] = from[t * width + f];
    for (int64_t t = count; t < kMlpTileRows; ++t) to[t] = 0.0f;
  }
}

NNREG_INLINE void store_rows(const float* __restrict tile, int64_t width, int64_t count,
                             float* __restrict to) {
  if (width == 1) {
    for (int64_t t = 0; t < count; ++t) to[t] = tile[t];
    return;
  }
  for (int64_t t = 0; t < count; ++t) {
    for (int64_t f = 0; f < width; ++f) to[t * width + f] = tile[f * kMlpTileRows + t];
  }
}

// A thread's working memory, reused across calls (allocating and zeroing it per task costs
// more than the lecture network's whole forward pass): each layer's input tile (used for
// hidden layers only when the call saves no activations), two gradient tiles, and the
// weight-gradient accumulators, one vector of lanes per weight and bias, and their sums.
struct MlpTileBuffers {
  std::vector<int64_t> input_at;  // offset of layer l's input tile
  std::vector<int64_t> lanes_at;  // offset of layer l's accumulators
  std::vector<float> inputs, grad, grad_next, lane_grads, lane_sums;
  std::vector<const float*> layer_inputs;

  float* input(int64_t layer) { return inputs.data() + input_at[layer]; }

  static MlpTileBuffers& for_thread(const MlpShape& shape, int64_t lanes) {
    thread_local MlpTileBuffers buffers;
    buffers.resize(shape, lanes);
    return buffers;
  }

 private:
  void resize(const MlpShape& shape, int64_t lanes) {
    input_at.assign(shape.layers() + 1, 0);
    lanes_at.assign(shape.layers() + 1, 0);
    int64_t inputs_size = 0;
    for (int64_t l = 0; l <= shape.layers(); ++l) {
      input_at[l] = inputs_size;
      inputs_size += shape.widths[l] * kMlpTileRows;
      if (l < shape.layers()) {
        lanes_at[l + 1] = lanes_at[l] + (shape.widths[l] + 1) * shape.widths[l + 1] * lanes;
      }
    }
    grow(inputs, inputs_size);
    grow(grad, kMlpMaxWidth * kMlpTileRows);
    grow(grad_next, kMlpMaxWidth * kMlpTileRows);
    grow(lane_grads, lanes_at.back());
    grow(lane_sums, lanes_at.back() / lanes);
  }

  static void grow(std::vector<float>& buffer, int64_t size) {
    if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(size);
  }
};

// Forward through every layer for the tile of `count` rows starting at `row`, computing its
// first V * L rows; hidden layers go straight into `block` (this tile's block of the saved
// activations) when it is not null. Leaves the network's output in buffers.input(layers).
template <int L>
struct ForwardTile {
  const MlpForwardArgs& args;
  int64_t member, row, count;
  float* block;
  MlpTileBuffers& buffers;

  template <int V>
  NNREG_INLINE void run() {
    const MlpShape& shape = args.shape;
    const int64_t layers = shape.layers();
    const float* in = buffers.input(0);
    // Layer l's packed [W; b], walked layer by layer through the member's parameters.
    const float* w = args.params.of(member);
    load_rows(args.x.of(member) + row * shape.inputs(), shape.inputs(), count, buffers.input(0));
    for (int64_t l = 0; l < layers; ++l) {
      const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
      const bool hidden = l + 1 < layers;
      float* out = hidden && block ? block : buffers.input(l + 1);
      product<L, V, Epilogue::kNone>(w, 1, fan_out, w + fan_in * fan_out, fan_out, fan_in, in,
                                     nullptr, out);
      if (hidden) tanh_features<L, V>(out, fan_out);
      if (hidden && block) {
        // Rows past the quarters computed are zero in the saved block, as a residual that
        // XLA may inspect (debug_nans) must not hold whatever the buffer held before.
        for (int64_t f = 0; f < fan_out; ++f) {
          std::fill(block + f * kMlpTileRows + V * L, block + (f + 1) * kMlpTileRows, 0.0f);
        }
        block += fan_out * kMlpTileRows;
      }
      in = out;
      w += (fan_in + 1) * fan_out;
    }
  }
};

template <int L>
NNREG_INLINE void mlp_forward_rows(const MlpForwardArgs& args, int64_t member, int64_t begin,
                                   int64_t end) {
  const MlpShape& shape = args.shape;
  const int64_t n = shape.n, layers = shape.layers();
  MlpTileBuffers& buffers = MlpTileBuffers::for_thread(shape, L);
  float* y = args.y + member * n * shape.outputs();
  const int64_t block_size = shape.hidden_total() * kMlpTileRows;
  float* saved = args.activations;
  if (saved) saved += member * shape.row_blocks() * block_size;
  for (int64_t row = begin; row < end; row += kMlpTileRows) {
    const int64_t count = std::min(kMlpTileRows, end - row);
    float* block = saved ? saved + row / kMlpTileRows * block_size : nullptr;
    ForwardTile<L> tile{args, member, row, count, block, buffers};
    run_tile_quarters<L>(count, tile);
    store_rows(buffers.input(layers), shape.outputs(), count, y + row * shape.outputs());
  }
}

// Weight gradients accumulate on the lanes: rows stay along the vector lanes, and the sum
// over lanes waits until the task's last tile. With 32 registers a layer's accumulators are
// grouped in blocks of kGradColumns outputs j (the last block narrower), each block holding
// lanes[i][j] for every input i, the bias row i = fan_in last: a block's gradient rows stay
// in registers while it walks the inputs (loads per multiply-add 1.25 -> 0.5), which cut the
// AVX-512 backward by about a fifth at widths 10-64. Blocks are contiguous: walking columns
// of a row-major lanes[i][j] strides exactly 4 KB at width 64, and was slower than before
// there. With 16 registers one output's gradient row fills half of them, and walking one
// output at a time was 20-30% slower (AVX2) than walking the inputs with each input row
// held: there a layer is one block, lanes[i][j] row-major. Sums are bit for bit as before.
template <int L>
constexpr int kGradColumns =
    std::max(1, (kVectorRegisters<L> - 1) / (static_cast<int>(kMlpTileRows) / L + 1));

// lanes[i][jb] += input[i][t] grad[j + jb][t], and the bias row lanes[fan_in][jb] +=
// grad[j + jb][t], for the JB outputs from j and the tile's first V * L rows t: `block` is
// their block of accumulators.
template <int L, int V, int JB>
NNREG_INLINE void weight_grad_columns(const float* __restrict input, int64_t fan_in,
                                      const float* __restrict grad, int64_t j,
                                      float* __restrict block) {
  Vec<L> g[JB][V];
  for (int jb = 0; jb < JB; ++jb) {
    for (int v = 0; v < V; ++v) {
      std::memcpy(&g[jb][v], grad + (j + jb) * kMlpTileRows + v * L, sizeof g[jb][v]);
    }
  }
  for (int64_t i = 0; i <= fan_in; ++i) {
    float* __restrict lanes = block + i * JB * L;
    Vec<L> acc[JB];
    for (int jb = 0; jb < JB; ++jb) std::memcpy(&acc[jb], lanes + jb * L, sizeof acc[jb]);
    for (int v = 0; v < V; ++v) {
      Vec<L> a;
      if (i < fan_in) {
        std::memcpy(&a, input + i * kMlpTileRows + v * L, sizeof a);
      } else {
        a = Vec<L>{} + 1.0f;
      }
      for (int jb = 0; jb < JB; ++jb) acc[jb] += a * g[jb][v];
    }
    for (int jb = 0; jb < JB; ++jb) std::memcpy(lanes + jb * L, &acc[jb], sizeof acc[jb]);
  }
}

// The last, narrower block: JB is its width, found by counting down.
template <int L, int V, int JB>
NNREG_INLINE void weight_grad_last_columns(const float* __restrict input, int64_t fan_in,
                                           const float* __restrict grad, int64_t j,
                                           int64_t width, float* __restrict block) {
  if constexpr (JB > 0) {
    if (width == JB) {
      weight_grad_columns<L, V, JB>(input, fan_in, grad, j, block);
      return;
    }
    weight_grad_last_columns<L, V, JB - 1>(input, fan_in, grad, j, width, block);
  }
}

// One layer's accumulators for the first V * L rows of one tile: blocks of outputs (as wide
// as a whole tile's registers allow, whatever V: the blocks are the accumulators' layout), or
// (16 registers) input rows, each loaded once and used for every output.
template <int L, int V>
NNREG_INLINE void weight_grad_tile(const float* __restrict input, int64_t fan_in,
                                   const float* __restrict grad, int64_t fan_out,
                                   float* __restrict lanes) {
  if constexpr (kGradColumns<L> > 1) {
    constexpr int JB = kGradColumns<L>;
    int64_t j = 0;
    for (; j + JB <= fan_out; j += JB) {
      weight_grad_columns<L, V, JB>(input, fan_in, grad, j, lanes + (fan_in + 1) * j * L);
    }
    weight_grad_last_columns<L, V, JB - 1>(input, fan_in, grad, j, fan_out - j,
                                           lanes + (fan_in + 1) * j * L);
  } else {
    for (int64_t i = 0; i <= fan_in; ++i) {
      Vec<L> a[V];
      for (int v = 0; v < V; ++v) {
        if (i < fan_in) {
          std::memcpy(&a[v], input + i * kMlpTileRows + v * L, sizeof a[v]);
        } else {
          a[v] = Vec<L>{} + 1.0f;
        }
      }
      float* __restrict row = lanes + i * fan_out * L;
      for (int64_t j = 0; j < fan_out; ++j) {
        Vec<L> acc;
        std::memcpy(&acc, row + j * L, sizeof acc);
        for (int v = 0; v < V; ++v) {
          Vec<L> g;
          std::memcpy(&g, grad + j * kMlpTileRows + v * L, sizeof g);
          acc += a[v] * g;
        }
        std::memcpy(row + j * L, &acc, sizeof acc);
      }
    }
  }
}

// One layer's packed [dW; db], (fan_in + 1) x fan_out row-major, from its lane sums in the
// blocks of kGradColumns outputs.
template <int L>
NNREG_INLINE void place_weight_grads(const float* __restrict sums, int64_t fan_in,
                                     int64_t fan_out, float* __restrict grads) {
  constexpr int64_t JB = kGradColumns<L>;
  for (int64_t j = 0; j < fan_out; j += JB) {
    const int64_t width = std::min(JB, fan_out - j);
    const float* block = sums + (fan_in + 1) * j;
    for (int64_t i = 0; i <= fan_in; ++i) {
      for (int64_t jb = 0; jb < width; ++jb) grads[i * fan_out + j + jb] = block[i * width + jb];
    }
  }
}

// Backward through every layer for the tile of `count` rows starting at `row`, computing its
// first V * L rows: adds to the weight gradients' lane accumulators and writes dx (unless
// it is null).
template <int L>
struct BackwardTile {
  const MlpBackwardArgs& args;
  int64_t member, row, count;
  MlpTileBuffers& buffers;

  template <int V>
  NNREG_INLINE void run() {
    const MlpShape& shape = args.shape;
    const int64_t layers = shape.layers();
    float* lanes = buffers.lane_grads.data();
    std::vector<const float*>& inputs = buffers.layer_inputs;
    load_rows(args.x.of(member) + row * shape.inputs(), shape.inputs(), count, buffers.input(0));
    // The hidden layers' outputs, read in place from this tile's block (its first V * L rows
    // are those the forward computed; rows past `count` among them come from zero inputs).
    const float* block = args.activations.of(member) +
                         row / kMlpTileRows * shape.hidden_total() * kMlpTileRows;
    for (int64_t l = 1; l < layers; ++l) {
      inputs[l] = block;
      block += shape.widths[l] * kMlpTileRows;
    }
    // Rows past `count` get a zero gradient, so they add nothing to the weight gradients.
    load_rows(args.dy.of(member) + row * shape.outputs(), shape.outputs(), count,
              buffers.grad.data());
    float* grad = buffers.grad.data();
    float* next = buffers.grad_next.data();
    // Layer l's packed [W; b], walked from the end of the member's parameters.
    const float* w = args.params.of(member) + shape.params_size();
    for (int64_t l = layers - 1; l >= 0; --l) {
      const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
      w -= (fan_in + 1) * fan_out;
      const float* __restrict input = inputs[l];
      weight_grad_tile<L, V>(input, fan_in, grad, fan_out, lanes + buffers.lanes_at[l]);
      // The input's gradient: next[i][t] = sum over j of W[i][j] grad[j][t], for a hidden
      // layer's input times tanh's derivative.
      if (l == 0) {
        if (args.dx != nullptr) {  // null: x's gradient is not wanted
          product<L, V, Epilogue::kNone>(w, fan_out, 1, nullptr, fan_in, fan_out, grad, nullptr,
                                         next);
          store_rows(next, fan_in, count, args.dx + (member * shape.n + row) * fan_in);
        }
        break;
      }
      input_gradient<L, V>(w, fan_in, fan_out, grad, input, next);
      std::swap(grad, next);
    }
  }
};

template <int L>
NNREG_INLINE void mlp_backward_rows(const MlpBackwardArgs& args, int64_t member, int64_t begin,
                                    int64_t end, float* grads) {
  const MlpShape& shape = args.shape;
  const int64_t layers = shape.layers();
  MlpTileBuffers& buffers = MlpTileBuffers::for_thread(shape, L);
  float* lanes = buffers.lane_grads.data();
  std::fill(lanes, lanes + buffers.lanes_at.back(), 0.0f);
  buffers.layer_inputs.assign(layers, buffers.input(0));
  for (int64_t row = begin; row < end; row += kMlpTileRows) {
    const int64_t count = std::min(kMlpTileRows, end - row);
    BackwardTile<L> tile{args, member, row, count, buffers};
    run_tile_quarters<L>(count, tile);
  }
  // Each weight's lanes summed in the accumulators' order (one pass over them, which the
  // compiler vectorises across weights). Where a layer is one row-major block, that is the
  // packed [dW_l; db_l] of these rows already; blocks of outputs are summed, then placed.
  constexpr bool kBlocks = kGradColumns<L> > 1;
  float* sums = kBlocks ? buffers.lane_sums.data() : grads;
  for (int64_t w = 0; w < buffers.lanes_at.back() / L; ++w) {
    float sum = 0.0f;
    for (int lane = 0; lane < L; ++lane) sum += lanes[w * L + lane];
    sums[w] = sum;
  }
  if constexpr (kBlocks) {
    for (int64_t l = 0; l < layers; ++l) {
      const int64_t at = buffers.lanes_at[l] / L;
      place_weight_grads<L>(sums + at, shape.widths[l], shape.widths[l + 1], grads + at);
    }
  }
}

}  // namespace nnreg::cpu
