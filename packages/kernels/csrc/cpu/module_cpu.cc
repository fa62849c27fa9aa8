// nnreg.kernels._cpu: hands the CPU FFI handlers to Python as capsules.
#include <nanobind/nanobind.h>

#include "cpu/dense_tanh_cpu.h"
#include "cpu/ffi_cpu.h"

namespace nb = nanobind;

NB_MODULE(_cpu, module) {
  module.doc() = "XLA FFI handlers of the fused dense+tanh layer and tanh MLP for CPUs.";
  module.def(
      "handlers",
      [] {
        nb::dict handlers;
        handlers["forward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhForwardCpu));
        handlers["backward"] = nb::capsule(reinterpret_cast<void*>(NnregDenseTanhBackwardCpu));
        handlers["mlp_forward"] = nb::capsule(reinterpret_cast<void*>(NnregMlpTanhForwardCpu));
        handlers["mlp_backward"] = nb::capsule(reinterpret_cast<void*>(NnregMlpTanhBackwardCpu));
        return handlers;
      },
      "FFI handler capsules: dense_tanh's 'forward' and 'backward', mlp_tanh's 'mlp_forward' "
      "and 'mlp_backward'.");
  module.def(
      "instruction_set", [] { return nnreg::cpu::supported_kernel_sets().front().name; },
      "The vector instruction set the kernels use on this CPU.");
}
