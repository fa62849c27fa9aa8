// The buffers of the forward and backward FFI calls, shared by the CPU and CUDA handlers:
// how to bind them after each handler's context, and how to validate their shapes.
#pragma once

#include <string>
#include <utility>

#include "common/dense_shape.h"
#include "xla/ffi/api/ffi.h"

namespace nnreg {

using F32Buffer = xla::ffi::Buffer<xla::ffi::F32>;
using F32Result = xla::ffi::ResultBuffer<xla::ffi::F32>;

// Appends x, W, b -> y.
template <class Binding>
auto bind_forward_buffers(Binding binding) {
  return std::move(binding)
      .template Arg<F32Buffer>()   // x
      .template Arg<F32Buffer>()   // W
      .template Arg<F32Buffer>()   // b
      .template Ret<F32Buffer>();  // y
}

// Appends dy, y, x, W -> dx, dW, db.
template <class Binding>
auto bind_backward_buffers(Binding binding) {
  return std::move(binding)
      .template Arg<F32Buffer>()   // dy
      .template Arg<F32Buffer>()   // y
      .template Arg<F32Buffer>()   // x
      .template Arg<F32Buffer>()   // W
      .template Ret<F32Buffer>()   // dx
      .template Ret<F32Buffer>()   // dW
      .template Ret<F32Buffer>();  // db
}

inline xla::ffi::Error shape_error(const std::string& problem) {
  return problem.empty() ? xla::ffi::Error::Success()
                         : xla::ffi::Error::InvalidArgument(problem);
}

inline xla::ffi::Error check_forward_buffers(const F32Buffer& x, const F32Buffer& w,
                                             const F32Buffer& b, F32Result& y,
                                             DenseShape& shape) {
  return shape_error(check_forward(dims_of(x.dimensions()), dims_of(w.dimensions()),
                                   dims_of(b.dimensions()), dims_of(y->dimensions()), shape));
}

inline xla::ffi::Error check_backward_buffers(const F32Buffer& dy, const F32Buffer& y,
                                              const F32Buffer& x, const F32Buffer& w,
                                              F32Result& dx, F32Result& dw,
                                              F32Result& db, DenseShape& shape) {
  return shape_error(check_backward(dims_of(dy.dimensions()), dims_of(y.dimensions()),
                                    dims_of(x.dimensions()), dims_of(w.dimensions()),
                                    dims_of(dx->dimensions()), dims_of(dw->dimensions()),
                                    dims_of(db->dimensions()), shape));
}

}  // namespace nnreg
