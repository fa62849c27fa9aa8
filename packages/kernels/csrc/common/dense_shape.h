// Shapes of a batch of dense layers, and their validation against the buffers XLA passes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnreg {

// `batch` independent layers y[i] = tanh(x[i] @ W[i] + b[i]) with x[i] n×k and W[i] k×m,
// all row-major and packed one after the other.
struct DenseShape {
  int64_t batch = 0;
  int64_t n = 0;
  int64_t k = 0;
  int64_t m = 0;
};

// The extents of one buffer as XLA reports them.
struct Dims {
  const int64_t* data;
  size_t rank;
};

template <class Span>
Dims dims_of(const Span& extents) {
  return Dims{extents.begin(), extents.size()};
}

// Both return "" and fill `shape` when the buffers describe a batch of dense layers (equal
// leading batch dimensions, matching n, k, m); otherwise a message naming every shape.
// Forward: x (..., n, k), W (..., k, m), b (..., m) -> y (..., n, m).
std::string check_forward(Dims x, Dims w, Dims b, Dims y, DenseShape& shape);
// Backward: dy, y (..., n, m), x (..., n, k), W (..., k, m) -> dx, dW, db shaped as x, W, b.
std::string check_backward(Dims dy, Dims y, Dims x, Dims w, Dims dx, Dims dw, Dims db,
                           DenseShape& shape);

}  // namespace nnreg
