// The x86 instruction sets the CPU kernels are compiled for, and which of them this CPU runs:
// detected once here for every kernel, and mapped here to each kernel's compiled variants.
#pragma once

#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NNREG_X86_VARIANTS 1
#define NNREG_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define NNREG_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#endif

namespace nnreg::cpu {

enum class InstructionSet { kAvx512, kAvx2, kPortable };

// The sets this CPU runs, fastest first; kPortable, plain C++, always last.
inline std::vector<InstructionSet> supported_instruction_sets() {
  std::vector<InstructionSet> sets;
#ifdef NNREG_X86_VARIANTS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    sets.push_back(InstructionSet::kAvx512);
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    sets.push_back(InstructionSet::kAvx2);
  }
#endif
  sets.push_back(InstructionSet::kPortable);
  return sets;
}

// A kernel's table entry for each instruction set this CPU runs, fastest first. Builds
// without the x86 variants pass the portable entry alone (it is then the only set).
template <typename KernelSet>
std::vector<KernelSet> kernel_sets_this_cpu_runs(const KernelSet& portable,
                                                 const KernelSet& avx2 = {},
                                                 const KernelSet& avx512 = {}) {
  std::vector<KernelSet> kernels;
  for (const InstructionSet set : supported_instruction_sets()) {
    switch (set) {
      case InstructionSet::kAvx512:
        kernels.push_back(avx512);
        break;
      case InstructionSet::kAvx2:
        kernels.push_back(avx2);
        break;
      case InstructionSet::kPortable:
        kernels.push_back(portable);
        break;
    }
  }
  return kernels;
}

}  // namespace nnreg::cpu
