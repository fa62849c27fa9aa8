// The buffers of mlp_tanh's FFI calls, shared by the CPU and CUDA handlers. The attribute
// `widths` (k_0 .. k_L) gives the network; each member's parameters are one packed block
// (MlpShape::layer_at says where each layer's [W_l; b_l] starts):
//   forward:  x, params -> y [, activations]
//   backward: dy, x, activations, params -> dx, grads (packed as params)
// The backward's attribute `input_gradient` (0 or 1) says whether dx is wanted: with 0 its
// buffer is decoded as null and the kernels leave it unwritten.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "common/mlp_shape.h"
#include "xla/ffi/api/ffi.h"

namespace nnreg {

// A call's decoded buffers. A handler may keep one per thread and decode every call into it:
// its vectors then keep their capacity, and a call allocates nothing.
struct MlpForwardBuffers {
  MlpShape shape;
  MlpOperands operands;
  const float* x = nullptr;
  const float* params = nullptr;
  float* y = nullptr;
  float* activations = nullptr;  // null when the call saves none
};

struct MlpBackwardBuffers {
  MlpShape shape;
  MlpOperands operands;
  const float* dy = nullptr;
  const float* x = nullptr;
  const float* activations = nullptr;
  const float* params = nullptr;
  float* dx = nullptr;
  float* grads = nullptr;
};

namespace mlp_ffi_detail {

using F32Buffer = xla::ffi::Buffer<xla::ffi::F32>;

inline xla::ffi::Error invalid(const std::string& message) {
  return xla::ffi::Error::InvalidArgument(message);
}

// Decodes argument or result `index` as a float32 buffer; `data` and `dims` receive it.
template <class Remaining, class Pointer>
xla::ffi::Error decode(const Remaining& remaining, size_t index, Pointer& data, Dims& dims) {
  auto buffer = remaining.template get<F32Buffer>(index);
  if (buffer.has_error()) return buffer.error();
  if constexpr (std::is_const_v<std::remove_pointer_t<Pointer>>) {
    data = buffer.value().typed_data();
    dims = dims_of(buffer.value().dimensions());
  } else {
    data = buffer.value()->typed_data();
    dims = dims_of(buffer.value()->dimensions());
  }
  return xla::ffi::Error::Success();
}

}  // namespace mlp_ffi_detail

#define NNREG_RETURN_IF_FAILED(expression)                    \
  do {                                                        \
    if (auto nnreg_error = (expression); nnreg_error.failure()) { \
      return nnreg_error;                                     \
    }                                                         \
  } while (0)

inline xla::ffi::Error decode_mlp_forward(const xla::ffi::RemainingArgs& args,
                                          const xla::ffi::RemainingRets& rets,
                                          xla::ffi::Span<const int64_t> widths,
                                          MlpForwardBuffers& out) {
  using namespace mlp_ffi_detail;
  if (args.size() != 2 || (rets.size() != 1 && rets.size() != 2)) {
    return invalid("mlp_tanh forward: " + std::to_string(args.size()) + " operands and " +
                   std::to_string(rets.size()) + " results; expected x, params -> y [, " +
                   "activations]");
  }
  Dims x{}, params{}, y{}, activations{};
  out.activations = nullptr;
  NNREG_RETURN_IF_FAILED(decode(args, 0, out.x, x));
  NNREG_RETURN_IF_FAILED(decode(args, 1, out.params, params));
  NNREG_RETURN_IF_FAILED(decode(rets, 0, out.y, y));
  if (rets.size() == 2) NNREG_RETURN_IF_FAILED(decode(rets, 1, out.activations, activations));
  const Dims* saved = out.activations ? &activations : nullptr;
  const std::string problem = check_mlp_forward(x, params, Widths{widths.begin(), widths.size()},
                                                y, saved, out.shape, out.operands);
  return problem.empty() ? xla::ffi::Error::Success() : invalid(problem);
}

inline xla::ffi::Error decode_mlp_backward(const xla::ffi::RemainingArgs& args,
                                           const xla::ffi::RemainingRets& rets,
                                           xla::ffi::Span<const int64_t> widths,
                                           int64_t input_gradient, MlpBackwardBuffers& out) {
  using namespace mlp_ffi_detail;
  if (args.size() != 4 || rets.size() != 2) {
    return invalid("mlp_tanh backward: " + std::to_string(args.size()) + " operands and " +
                   std::to_string(rets.size()) + " results; expected dy, x, activations, " +
                   "params -> dx, grads");
  }
  if (input_gradient != 0 && input_gradient != 1) {
    return invalid("mlp_tanh backward: input_gradient=" + std::to_string(input_gradient) +
                   " is neither 0 nor 1");
  }
  Dims dy{}, x{}, activations{}, params{}, dx{}, grads{};
  NNREG_RETURN_IF_FAILED(decode(args, 0, out.dy, dy));
  NNREG_RETURN_IF_FAILED(decode(args, 1, out.x, x));
  NNREG_RETURN_IF_FAILED(decode(args, 2, out.activations, activations));
  NNREG_RETURN_IF_FAILED(decode(args, 3, out.params, params));
  NNREG_RETURN_IF_FAILED(decode(rets, 0, out.dx, dx));
  NNREG_RETURN_IF_FAILED(decode(rets, 1, out.grads, grads));
  const std::string problem =
      check_mlp_backward(dy, x, activations, params, Widths{widths.begin(), widths.size()}, dx,
                         grads, out.shape, out.operands);
  if (!input_gradient) out.dx = nullptr;
  return problem.empty() ? xla::ffi::Error::Success() : invalid(problem);
}

#undef NNREG_RETURN_IF_FAILED

}  // namespace nnreg
