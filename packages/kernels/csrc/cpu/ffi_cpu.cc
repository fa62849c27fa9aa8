// XLA FFI handlers for the CPU kernels: validate what XLA passes, run on XLA's thread pool.
#include "cpu/ffi_cpu.h"

#include <exception>
#include <string>

#include "common/dense_shape.h"
#include "common/ffi_buffers.h"
#include "cpu/claiming_runner.h"
#include "cpu/dense_tanh_cpu.h"
#include "cpu/mlp_tanh_cpu.h"
#include "common/mlp_ffi_buffers.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace nnreg::cpu {
namespace {

// Kernels only throw std::bad_alloc; nothing may escape into XLA.
template <class Body>
ffi::Error guarded(Body body) {
  try {
    body();
    return ffi::Error::Success();
  } catch (const std::exception& error) {
    return ffi::Error::Internal(std::string("nnreg.kernels: ") + error.what());
  }
}

ffi::Error forward(ffi::ThreadPool pool, F32Buffer x, F32Buffer w, F32Buffer b, F32Result y) {
  DenseShape shape;
  if (auto error = check_forward_buffers(x, w, b, y, shape); error.failure()) return error;
  return guarded([&] {
    dense_tanh_forward({shape, x.typed_data(), w.typed_data(), b.typed_data(), y->typed_data()},
                       ClaimingRunner<ffi::ThreadPool>(pool));
  });
}

ffi::Error backward(ffi::ThreadPool pool, F32Buffer dy, F32Buffer y, F32Buffer x, F32Buffer w,
                    F32Result dx, F32Result dw, F32Result db) {
  DenseShape shape;
  if (auto error = check_backward_buffers(dy, y, x, w, dx, dw, db, shape); error.failure()) {
    return error;
  }
  return guarded([&] {
    dense_tanh_backward({shape, dy.typed_data(), y.typed_data(), x.typed_data(), w.typed_data(),
                         dx->typed_data(), dw->typed_data(), db->typed_data()},
                        ClaimingRunner<ffi::ThreadPool>(pool));
  });
}

// The mlp handlers decode into per-thread buffers and arguments, reused from call to call: a
// call then allocates nothing (fresh ones made ~20 heap allocations a call, which under
// vmap grow with the batch dimensions). A call runs to completion on its thread before the
// thread handles another, and kernel tasks on other threads only read these.
ffi::Error mlp_forward(ffi::ThreadPool pool, ffi::RemainingArgs args, ffi::RemainingRets rets,
                       ffi::Span<const int64_t> widths) {
  thread_local MlpForwardBuffers buffers;
  thread_local MlpForwardArgs kernel_args;
  if (auto error = decode_mlp_forward(args, rets, widths, buffers); error.failure()) return error;
  kernel_args.shape = buffers.shape;
  // Field by field: assigning a braced MemberInput would build and free its index vectors.
  kernel_args.x.data = buffers.x;
  kernel_args.x.index = buffers.operands.x;
  kernel_args.params.data = buffers.params;
  kernel_args.params.index = buffers.operands.params;
  kernel_args.y = buffers.y;
  kernel_args.activations = buffers.activations;
  return guarded(
      [&] { mlp_tanh_forward(kernel_args, ClaimingRunner<ffi::ThreadPool>(pool)); });
}

ffi::Error mlp_backward(ffi::ThreadPool pool, ffi::RemainingArgs args, ffi::RemainingRets rets,
                        ffi::Span<const int64_t> widths, int64_t input_gradient) {
  thread_local MlpBackwardBuffers buffers;
  thread_local MlpBackwardArgs kernel_args;
  if (auto error = decode_mlp_backward(args, rets, widths, input_gradient, buffers);
      error.failure()) {
    return error;
  }
  const MlpOperands& operands = buffers.operands;
  kernel_args.shape = buffers.shape;
  kernel_args.x.data = buffers.x;
  kernel_args.x.index = operands.x;
  kernel_args.activations.data = buffers.activations;
  kernel_args.activations.index = operands.activations;
  kernel_args.dy.data = buffers.dy;
  kernel_args.dy.index = operands.dy;
  kernel_args.params.data = buffers.params;
  kernel_args.params.index = operands.params;
  kernel_args.dx = buffers.dx;
  kernel_args.grads = buffers.grads;
  return guarded(
      [&] { mlp_tanh_backward(kernel_args, ClaimingRunner<ffi::ThreadPool>(pool)); });
}

}  // namespace
}  // namespace nnreg::cpu

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhForwardCpu, nnreg::cpu::forward,
                              nnreg::bind_forward_buffers(
                                  ffi::Ffi::Bind().Ctx<ffi::ThreadPool>()));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhBackwardCpu, nnreg::cpu::backward,
                              nnreg::bind_backward_buffers(
                                  ffi::Ffi::Bind().Ctx<ffi::ThreadPool>()));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregMlpTanhForwardCpu, nnreg::cpu::mlp_forward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<ffi::Span<const int64_t>>("widths"));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregMlpTanhBackwardCpu, nnreg::cpu::mlp_backward,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<ffi::Span<const int64_t>>("widths")
                                  .Attr<int64_t>("input_gradient"));
