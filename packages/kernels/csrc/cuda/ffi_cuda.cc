// XLA FFI handlers for the CUDA kernels: validate what XLA passes, enqueue on XLA's stream.
// Host code only, so the host compiler builds it; the kernels are in dense_tanh_cuda.cu.
#include "cuda/ffi_cuda.h"

#include <cuda_runtime_api.h>

#include <string>

#include "common/dense_shape.h"
#include "common/ffi_buffers.h"
#include "common/mlp_ffi_buffers.h"
#include "cuda/dense_tanh_cuda.h"
#include "cuda/mlp_tanh_cuda.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace nnreg::cuda {
namespace {

using Stream = ffi::PlatformStream<cudaStream_t>;

ffi::Error forward(cudaStream_t stream, F32Buffer x, F32Buffer w, F32Buffer b, F32Result y) {
  DenseShape shape;
  if (auto error = check_forward_buffers(x, w, b, y, shape); error.failure()) return error;
  return launch_forward(stream, shape, x.typed_data(), w.typed_data(), b.typed_data(),
                        y->typed_data());
}

ffi::Error backward(cudaStream_t stream, ffi::ScratchAllocator scratch, F32Buffer dy,
                    F32Buffer y, F32Buffer x, F32Buffer w, F32Result dx, F32Result dw,
                    F32Result db) {
  DenseShape shape;
  if (auto error = check_backward_buffers(dy, y, x, w, dx, dw, db, shape); error.failure()) {
    return error;
  }
  float* partials = nullptr;
  if (const size_t bytes = backward_scratch_bytes(shape); bytes > 0) {
    const auto allocation = scratch.Allocate(bytes, alignof(float4));
    if (!allocation.has_value()) {
      return ffi::Error(ffi::ErrorCode::kResourceExhausted,
                        "dense_tanh: cannot allocate " + std::to_string(bytes) +
                            " bytes of scratch for the weight gradient");
    }
    partials = static_cast<float*>(*allocation);
  }
  return launch_backward(stream, shape, dy.typed_data(), y.typed_data(), x.typed_data(),
                         w.typed_data(), dx->typed_data(), dw->typed_data(), db->typed_data(),
                         partials);
}

ffi::Error mlp_forward(cudaStream_t stream, ffi::RemainingArgs args, ffi::RemainingRets rets,
                       ffi::Span<const int64_t> widths) {
  MlpForwardBuffers buffers;
  if (auto error = decode_mlp_forward(args, rets, widths, buffers); error.failure()) return error;
  return launch_mlp_forward(stream, buffers);
}

ffi::Error mlp_backward(cudaStream_t stream, ffi::ScratchAllocator scratch,
                        ffi::RemainingArgs args, ffi::RemainingRets rets,
                        ffi::Span<const int64_t> widths, int64_t input_gradient) {
  MlpBackwardBuffers buffers;
  if (auto error = decode_mlp_backward(args, rets, widths, input_gradient, buffers);
      error.failure()) {
    return error;
  }
  float* partials = nullptr;
  if (const size_t bytes = mlp_backward_scratch_bytes(buffers.shape); bytes > 0) {
    const auto allocation = scratch.Allocate(bytes, alignof(float4));
    if (!allocation.has_value()) {
      return ffi::Error(ffi::ErrorCode::kResourceExhausted,
                        "mlp_tanh: cannot allocate " + std::to_string(bytes) +
                            " bytes of scratch for the weight gradients");
    }
    partials = static_cast<float*>(*allocation);
  }
  return launch_mlp_backward(stream, buffers, partials);
}

}  // namespace
}  // namespace nnreg::cuda

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhForwardCuda, nnreg::cuda::forward,
                              nnreg::bind_forward_buffers(ffi::Ffi::Bind().Ctx<
                                                          nnreg::cuda::Stream>()));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhBackwardCuda, nnreg::cuda::backward,
                              nnreg::bind_backward_buffers(
                                  ffi::Ffi::Bind()
                                      .Ctx<nnreg::cuda::Stream>()
                                      .Ctx<ffi::ScratchAllocator>()));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregMlpTanhForwardCuda, nnreg::cuda::mlp_forward,
                              ffi::Ffi::Bind()
                                  .Ctx<nnreg::cuda::Stream>()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<ffi::Span<const int64_t>>("widths"));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregMlpTanhBackwardCuda, nnreg::cuda::mlp_backward,
                              ffi::Ffi::Bind()
                                  .Ctx<nnreg::cuda::Stream>()
                                  .Ctx<ffi::ScratchAllocator>()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<ffi::Span<const int64_t>>("widths")
                                  .Attr<int64_t>("input_gradient"));
