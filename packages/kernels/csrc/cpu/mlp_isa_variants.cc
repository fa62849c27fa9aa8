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
  std::vector<MlpKernelSet> sets;
  for (const InstructionSet set : supported_instruction_sets()) {
    switch (set) {
#ifdef NNREG_X86_VARIANTS
      case InstructionSet::kAvx512:
        sets.push_back({"avx512", forward_avx512, backward_avx512});
        break;
      case InstructionSet::kAvx2:
        sets.push_back({"avx2", forward_avx2, backward_avx2});
        break;
#endif
      default:
        sets.push_back({"portable", forward_portable, backward_portable});
    }
  }
  return sets;
}

}  // namespace

const std::vector<MlpKernelSet>& supported_mlp_kernel_sets() {
  static const std::vector<MlpKernelSet> sets = detect_kernel_sets();
  return sets;
}

}  // namespace nnreg::cpu
