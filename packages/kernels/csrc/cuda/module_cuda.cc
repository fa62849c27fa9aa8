// nnreg.kernels._cuda: hands the CUDA FFI handlers to Python as capsules. It links the CUDA
// runtime statically, so importing it needs no CUDA installation.
#include <nanobind/nanobind.h>

#include "cuda/ffi_cuda.h"

namespace nb = nanobind;

NB_MODULE(_cuda, module) {
  module.doc() = "XLA FFI handlers of the fused dense+tanh layer for CUDA GPUs.";
  module.def(
      "handlers",
      [] {
        nb::dict handlers;
        handlers["forward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhForwardCuda));
        handlers["backward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhBackwardCuda));
        return handlers;
      },
      "FFI handler capsules by pass: {'forward': ..., 'backward': ...}.");
  module.attr("architectures") = NNREG_CUDA_ARCHITECTURES_BUILT;
}
