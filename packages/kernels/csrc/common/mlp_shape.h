// Shapes of a batch of tanh MLPs (nnreg.kernels.mlp_tanh), and their validation against the
// buffers XLA passes. Free of XLA types, so the native tests use it directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/dense_shape.h"

namespace nnreg {

// The limits of the native kernels; the Python wrapper sends anything larger to the jnp
// reference. 64 keeps a layer's weights (16 KiB) in L1 on CPUs and in static shared memory
// on GPUs; 8 weight layers bound the per-tile activation buffers.
constexpr int64_t kMlpMaxWidth = 64;
constexpr int64_t kMlpMaxLayers = 8;
// Rows per block of the saved activations: (..., ceil(n / kMlpRowBlock), hidden_total,
// kMlpRowBlock), so that one block of rows of every hidden layer is contiguous (the CPU
// kernels' tile; the CUDA kernels' rows per thread block). Python's ROW_BLOCK matches it.
constexpr int64_t kMlpRowBlock = 64;

// Where one member's block of an operand starts. Under vmap an operand has the same number
// of leading batch dimensions as the outputs, each either equal to the outputs' or 1
// (broadcast: every member reads the same block).
class MemberIndex {
 public:
  MemberIndex() = default;
  // `batch_dims` are the outputs'; `own` the operand's leading extents; `block` the size of
  // one member's block.
  MemberIndex(const std::vector<int64_t>& batch_dims, const std::vector<int64_t>& own,
              int64_t block);
  // The same, in place: an index reused from call to call allocates nothing.
  void assign(const std::vector<int64_t>& batch_dims, const int64_t* own, int64_t block);
  int64_t offset(int64_t member) const;
  const std::vector<int64_t>& batch_dims() const { return batch_dims_; }
  const std::vector<int64_t>& strides() const { return strides_; }

 private:
  std::vector<int64_t> batch_dims_;
  std::vector<int64_t> strides_;  // per batch dim, 0 where the operand broadcasts
};

struct MlpShape {
  std::vector<int64_t> batch_dims;  // leading dimensions of the outputs
  int64_t members = 0;              // their product
  int64_t n = 0;                    // rows
  std::vector<int64_t> widths;      // widths[0] inputs, widths[l + 1] outputs of layer l

  int64_t layers() const { return static_cast<int64_t>(widths.size()) - 1; }
  int64_t inputs() const { return widths.front(); }
  int64_t outputs() const { return widths.back(); }
  // Hidden units over all layers, and the blocks of rows of the saved activations.
  int64_t hidden_total() const;
  int64_t row_blocks() const { return (n + kMlpRowBlock - 1) / kMlpRowBlock; }
  // A member's parameters are one packed block: for each layer l, W_l (k_l × k_{l+1},
  // row-major) then b_l (k_{l+1}), that is [W_l; b_l] as (k_l + 1) × k_{l+1} rows. This is
  // the order in which nnreg's list of {"W", "b"} flattens, so a caller that keeps its
  // parameters flat passes them without a copy, and the gradients come back the same way.
  // layer_at(l) is where layer l starts in the block, layer_at(layers()) its size.
  int64_t layer_at(int64_t l) const;
  int64_t params_size() const { return layer_at(layers()); }
};

// The `widths` attribute: k_0 .. k_L.
struct Widths {
  const int64_t* data;
  size_t count;
};

// The operands' member indices, in the order they were checked.
struct MlpOperands {
  MemberIndex x, dy, activations, params;
};

// Forward: x (..., n, k0) and the packed parameters (..., params_size) of networks with
// `widths` -> y (..., n, k_L) and, when `activations` is given, the hidden activations
// (..., row_blocks, hidden_total, kMlpRowBlock), padding rows included. Returns "" and fills
// `shape` and `operands` when the buffers are consistent and within the limits, else a
// message naming the widths and every shape.
std::string check_mlp_forward(Dims x, Dims params, Widths widths, Dims y, const Dims* activations,
                              MlpShape& shape, MlpOperands& operands);

// Backward: dy (..., n, k_L), x, the activations and the parameters as above -> dx shaped as
// x and the parameters' gradients packed as they are, both with the full batch dimensions of
// dy.
std::string check_mlp_backward(Dims dy, Dims x, Dims activations, Dims params, Widths widths,
                               Dims dx, Dims grads, MlpShape& shape, MlpOperands& operands);

}  // namespace nnreg
