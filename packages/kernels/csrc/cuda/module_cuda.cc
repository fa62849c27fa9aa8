// nnreg.kernels._cuda: hands the CUDA FFI handlers to Python as capsules. It links the CUDA
// runtime statically, so importing it needs no CUDA installation.
#include <nanobind/nanobind.h>

#include "cuda/ffi_cuda.h"

namespace nb = nanobind;

NB_MODULE(_cuda, module) {
  module.doc() = "XLA FFI handlers of the fused dense+tanh layer and tanh MLP for CUDA GPUs.";
  module.def(
      "handlers",
      [] {
        nb::dict handlers;
        handlers["forward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhForwardCuda));
        handlers["backward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhBackwardCuda));
        handlers["mlp_forward"] = nb::capsule(reinterpret_cast<void*>(NnregMlpTanhForwardCuda));
        handlers["mlp_backward"] =
            nb::capsule(reinterpret_cast<void*>(NnregMlpTanhBackwardCuda));
        return handlers;
      },
      "FFI handler capsules: dense_tanh's 'forward' and 'backward', mlp_tanh's 'mlp_forward' "
      "and 'mlp_backward'.");
  module.attr("architectures") = NNREG_CUDA_ARCHITECTURES_BUILT;
}
