// One copy of the mlp_tanh tile kernels per instruction set, picked at run time from the
// CPU's features (as isa_variants.cc does for dense_tanh), each at its vector width.
#include <vector>

#include "cpu/mlp_tanh_cpu.h"
#include "cpu/mlp_tiles.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NNREG_X86_VARIANTS 1
#define NNREG_TARGET(features) __attribute__((target(features)))
#endif

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
NNREG_TARGET("avx2,fma")
void forward_avx2(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end) {
  mlp_forward_rows<8>(args, member, begin, end);
}
NNREG_TARGET("avx2,fma")
void backward_avx2(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                   float* grads) {
  mlp_backward_rows<8>(args, member, begin, end, grads);
}
NNREG_TARGET("avx512f,avx512vl,avx2,fma")
void forward_avx512(const MlpForwardArgs& args, int64_t member, int64_t begin, int64_t end) {
  mlp_forward_rows<16>(args, member, begin, end);
}
NNREG_TARGET("avx512f,avx512vl,avx2,fma")
void backward_avx512(const MlpBackwardArgs& args, int64_t member, int64_t begin, int64_t end,
                     float* grads) {
  mlp_backward_rows<16>(args, member, begin, end, grads);
}
#endif

std::vector<MlpKernelSet> detect_kernel_sets() {
  std::vector<MlpKernelSet> sets;
#ifdef NNREG_X86_VARIANTS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
    sets.push_back({"avx512", forward_avx512, backward_avx512});
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    sets.push_back({"avx2", forward_avx2, backward_avx2});
  }
#endif
  sets.push_back({"portable", forward_portable, backward_portable});
  return sets;
}

}  // namespace

const std::vector<MlpKernelSet>& supported_mlp_kernel_sets() {
  static const std::vector<MlpKernelSet> sets = detect_kernel_sets();
  return sets;
}

}  // namespace nnreg::cpu
