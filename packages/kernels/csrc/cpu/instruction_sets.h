// The x86 instruction sets the CPU kernels are compiled for, and which of them this CPU runs:
// detected once here for every kernel (dense_tanh and mlp_tanh each map them to their own
// compiled variants).
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

}  // namespace nnreg::cpu
