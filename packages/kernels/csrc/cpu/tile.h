// The register-blocked inner product shared by every CPU product (x W, dz Wᵀ, xᵀ dz).
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu/inline.h"

namespace nnreg::cpu {

// Output columns per tile: one AVX-512, two AVX2 or four SSE/NEON registers per row.
constexpr int kPanel = 16;

constexpr int64_t panel_count(int64_t columns) { return (columns + kPanel - 1) / kPanel; }

// GCC/Clang generic vectors of L floats, L matching the hardware width of each
// instruction-set variant: compilers keep arrays of these in registers, where they spill
// plain 2-D float accumulator arrays. Bits: the same lanes as unsigned integers.
template <int L>
struct Lanes;
template <>
struct Lanes<4> {
  typedef float Vector __attribute__((vector_size(16)));
  typedef uint32_t Bits __attribute__((vector_size(16)));
};
template <>
struct Lanes<8> {
  typedef float Vector __attribute__((vector_size(32)));
  typedef uint32_t Bits __attribute__((vector_size(32)));
};
template <>
struct Lanes<16> {
  typedef float Vector __attribute__((vector_size(64)));
  typedef uint32_t Bits __attribute__((vector_size(64)));
};

// R rows × kPanel columns of accumulators, L floats per register.
template <int R, int L>
struct Tile {
  static constexpr int kVectors = kPanel / L;
  typename Lanes<L>::Vector acc[R][kVectors];

  // acc[r] = sum over t < depth of a[r * a_row + t * a_step] * panel[t * panel_step + (0..kPanel)]:
  // R broadcast-FMAs per loaded panel vector.
  NNREG_INLINE void multiply(const float* __restrict a, int64_t a_row, int64_t a_step,
                             const float* __restrict panel, int64_t panel_step, int64_t depth) {
    for (int r = 0; r < R; ++r) {
      for (int v = 0; v < kVectors; ++v) acc[r][v] = typename Lanes<L>::Vector{};
    }
    for (int64_t t = 0; t < depth; ++t) {
      typename Lanes<L>::Vector row[kVectors];
      // One copy per register: a single wide copy may be split into narrower moves
      // through the stack, which then stall the wide loads.
      for (int v = 0; v < kVectors; ++v) {
        std::memcpy(&row[v], panel + t * panel_step + v * L, sizeof row[v]);
      }
      for (int r = 0; r < R; ++r) {
        const float scale = a[r * a_row + t * a_step];
        for (int v = 0; v < kVectors; ++v) acc[r][v] += scale * row[v];
      }
    }
  }

  // The tile as plain floats, for element-wise epilogues that the compiler vectorises itself.
  NNREG_INLINE void unpack(float (&out)[R][kPanel]) const { std::memcpy(out, acc, sizeof out); }
};

// Copies the first `columns` (at most kPanel) values of a tile row.
NNREG_INLINE void store_columns(float* __restrict out, const float* __restrict tile_row,
                                int64_t columns) {
  if (columns == kPanel) {
    for (int c = 0; c < kPanel; ++c) out[c] = tile_row[c];
  } else {
    for (int64_t c = 0; c < columns; ++c) out[c] = tile_row[c];
  }
}

}  // namespace nnreg::cpu
