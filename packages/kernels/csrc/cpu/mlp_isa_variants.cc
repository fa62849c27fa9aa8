// One copy of the mlp_tanh tile kernels per instruction set, picked at run time from the
// instruction sets the CPU supports (cpu/instruction_sets.h), each at its vector width.
#include <vector>

#include "cpu/instruction_sets.h"
#include "cpu/mlp_tanh_cpu.h"
#include "cpu/mlp_tiles.h"

namespace nnreg::cpu {
namespace {

void forward_portable(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end) {
  mlp_forward_rows<4>(args, member, begin, end);
}
void backward_portable(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                       float* grads) {
  mlp_backward_rows<4>(args, member, begin, end, grads);
}

#ifdef NNREG_X86_VARIANTS
NNREG_TARGET_AVX2
void forward_avx2(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end) {
  mlp_forward_rows<8>(args, member, begin, end);
}
NNREG_TARGET_AVX2
void backward_avx2(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                   float* grads) {
  mlp_backward_rows<8>(args, member, begin, end, grads);
}
NNREG_TARGET_AVX512
void forward_avx512(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end) {
  mlp_forward_rows<16>(args, member, begin, end);
}
NNREG_TARGET_AVX512
void backward_avx512(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                     float* grads) {
  mlp_backward_rows<16>(args, member, begin, end, grads);
}
#endif

std::vector<MlpKernelSet> detect_kernel_sets() {
  const MlpKernelSet portable{"portable", forward_portable, backward_portable};
#ifdef NNREG_X86_VARIANTS
  return kernel_sets_this_cpu_runs(portable, {"avx2", forward_avx2, backward_avx2},
                                   {"avx512", forward_avx512, backward_avx512});
#else
  return kernel_sets_this_cpu_runs(portable);
#endif
}

}  // namespace

const std::vector<MlpKernelSet>& supported_mlp_kernel_sets() {
  static const std::vector<MlpKernelSet> sets = detect_kernel_sets();
  return sets;
}

}  // namespace nnreg::cpu
