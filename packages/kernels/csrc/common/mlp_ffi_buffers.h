// The buffers of mlp_tanh's FFI calls, shared by the CPU and CUDA handlers. The layer count
// arrives as the attribute `layers`; operands are variadic:
//   forward:  x, W_0 .. W_{L-1}, b_0 .. b_{L-1} -> y [, activations]
//   backward: dy, x, activations, W_0 .. W_{L-1} -> dx, dW_0 .. dW_{L-1}, db_0 .. db_{L-1}
// The backward's attribute `input_gradient` (0 or 1) says whether dx is wanted: with 0 its
// buffer is decoded as null and the kernels leave it unwritten.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "common/mlp_shape.h"
#include "xla/ffi/api/ffi.h"

namespace nnreg {

// A call's decoded buffers. A handler may keep one per thread and decode every call into it:
// its vectors then keep their capacity, and a call allocates nothing.
struct MlpForwardBuffers {
  MlpShape shape;
  MlpOperands operands;
  const float* x = nullptr;
  std::vector<const float*> w, b;
  float* y = nullptr;
  float* activations = nullptr;  // null when the call saves none
  std::vector<Dims> w_dims, b_dims;
};

struct MlpBackwardBuffers {
  MlpShape shape;
  MlpOperands operands;
  const float* dy = nullptr;
  const float* x = nullptr;
  const float* activations = nullptr;
  std::vector<const float*> w;
  float* dx = nullptr;
  std::vector<float*> dw, db;
  std::vector<Dims> w_dims, dw_dims, db_dims;
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

inline xla::ffi::Error check_layers(int64_t layers) {
  if (layers < 1 || layers > kMlpMaxLayers) {
    return invalid("mlp_tanh: layers=" + std::to_string(layers) + " outside 1.." +
                   std::to_string(kMlpMaxLayers));
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
                                          const xla::ffi::RemainingRets& rets, int64_t layers,
                                          MlpForwardBuffers& out) {
  using namespace mlp_ffi_detail;
  NNREG_RETURN_IF_FAILED(check_layers(layers));
  const size_t count = static_cast<size_t>(layers);
  if (args.size() != 1 + 2 * count || (rets.size() != 1 && rets.size() != 2)) {
    return invalid("mlp_tanh forward: " + std::to_string(args.size()) + " operands and " +
                   std::to_string(rets.size()) + " results for " + std::to_string(layers) +
                   " layers");
  }
  Dims x{}, y{}, activations{};
  std::vector<Dims>& w = out.w_dims;
  std::vector<Dims>& b = out.b_dims;
  w.assign(count, Dims{});
  b.assign(count, Dims{});
  out.w.assign(count, nullptr);
  out.b.assign(count, nullptr);
  out.activations = nullptr;
  NNREG_RETURN_IF_FAILED(decode(args, 0, out.x, x));
  for (size_t l = 0; l < count; ++l) {
    NNREG_RETURN_IF_FAILED(decode(args, 1 + l, out.w[l], w[l]));
    NNREG_RETURN_IF_FAILED(decode(args, 1 + count + l, out.b[l], b[l]));
  }
  NNREG_RETURN_IF_FAILED(decode(rets, 0, out.y, y));
  if (rets.size() == 2) NNREG_RETURN_IF_FAILED(decode(rets, 1, out.activations, activations));
  const Dims* saved = out.activations ? &activations : nullptr;
  const std::string problem = check_mlp_forward(x, w, b, y, saved, out.shape, out.operands);
  return problem.empty() ? xla::ffi::Error::Success() : invalid(problem);
}

inline xla::ffi::Error decode_mlp_backward(const xla::ffi::RemainingArgs& args,
                                           const xla::ffi::RemainingRets& rets, int64_t layers,
                                           int64_t input_gradient, MlpBackwardBuffers& out) {
  using namespace mlp_ffi_detail;
  NNREG_RETURN_IF_FAILED(check_layers(layers));
  const size_t count = static_cast<size_t>(layers);
  if (args.size() != 3 + count || rets.size() != 1 + 2 * count) {
    return invalid("mlp_tanh backward: " + std::to_string(args.size()) + " operands and " +
                   std::to_string(rets.size()) + " results for " + std::to_string(layers) +
                   " layers");
  }
  Dims dy{}, x{}, activations{}, dx{};
  std::vector<Dims>& w = out.w_dims;
  std::vector<Dims>& dw = out.dw_dims;
  std::vector<Dims>& db = out.db_dims;
  w.assign(count, Dims{});
  dw.assign(count, Dims{});
  db.assign(count, Dims{});
  out.w.assign(count, nullptr);
  out.dw.assign(count, nullptr);
  out.db.assign(count, nullptr);
  NNREG_RETURN_IF_FAILED(decode(args, 0, out.dy, dy));
  NNREG_RETURN_IF_FAILED(decode(args, 1, out.x, x));
  NNREG_RETURN_IF_FAILED(decode(args, 2, out.activations, activations));
  NNREG_RETURN_IF_FAILED(decode(rets, 0, out.dx, dx));
  for (size_t l = 0; l < count; ++l) {
    NNREG_RETURN_IF_FAILED(decode(args, 3 + l, out.w[l], w[l]));
    NNREG_RETURN_IF_FAILED(decode(rets, 1 + l, out.dw[l], dw[l]));
    NNREG_RETURN_IF_FAILED(decode(rets, 1 + count + l, out.db[l], db[l]));
  }
  if (input_gradient != 0 && input_gradient != 1) {
    return invalid("mlp_tanh backward: input_gradient=" + std::to_string(input_gradient) +
                   " is neither 0 nor 1");
  }
  const std::string problem =
      check_mlp_backward(dy, x, activations, w, dx, dw, db, out.shape, out.operands);
  if (!input_gradient) out.dx = nullptr;
  return problem.empty() ? xla::ffi::Error::Success() : invalid(problem);
}

#undef NNREG_RETURN_IF_FAILED

}  // namespace nnreg
