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
};

// The operands' member indices, in the order they were checked.
struct MlpOperands {
  MemberIndex x, dy, activations;
  std::vector<MemberIndex> w, b;
};

// Forward: x (..., n, k0), W_l (..., k_l, k_{l+1}), b_l (..., k_{l+1}) -> y (..., n, k_L) and,
// when `activations` is given, the hidden activations (..., row_blocks, hidden_total,
// kMlpRowBlock), padding rows included. Returns "" and
// fills `shape` and `operands` when the buffers are consistent and within the limits, else a
// message naming every shape.
std::string check_mlp_forward(Dims x, const std::vector<Dims>& w, const std::vector<Dims>& b,
                              Dims y, const Dims* activations, MlpShape& shape,
                              MlpOperands& operands);

// Backward: dy (..., n, k_L), x, the activations and W_l as above -> dx shaped as x, dW_l and
// db_l shaped as W_l and b_l, all with the full batch dimensions of dy.
std::string check_mlp_backward(Dims dy, Dims x, Dims activations, const std::vector<Dims>& w,
                               Dims dx, const std::vector<Dims>& dw,
                               const std::vector<Dims>& db, MlpShape& shape,
                               MlpOperands& operands);

}  // namespace nnreg
