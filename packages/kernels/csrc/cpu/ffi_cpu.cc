// XLA FFI handlers for the CPU kernels: validate what XLA passes, run on XLA's thread pool.
#include "cpu/ffi_cpu.h"

#include <exception>
#include <string>

#include "common/dense_shape.h"
#include "common/ffi_buffers.h"
#include "cpu/claiming_runner.h"
#include "cpu/dense_tanh_cpu.h"
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
    return ffi::Error::Internal(std::string("dense_tanh: ") + error.what());
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

}  // namespace
}  // namespace nnreg::cpu

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhForwardCpu, nnreg::cpu::forward,
                              nnreg::bind_forward_buffers(
                                  ffi::Ffi::Bind().Ctx<ffi::ThreadPool>()));

XLA_FFI_DEFINE_HANDLER_SYMBOL(NnregDenseTanhBackwardCpu, nnreg::cpu::backward,
                              nnreg::bind_backward_buffers(
                                  ffi::Ffi::Bind().Ctx<ffi::ThreadPool>()));
