// One copy of the row kernels per instruction set, picked at run time from the CPU's
// features, so one binary is both portable and fast. Rows per tile are chosen so that
// R × kPanel accumulators use 8 vector registers at each width.
#include <vector>

#include "cpu/dense_tanh_cpu.h"
#include "cpu/instruction_sets.h"
#include "cpu/row_kernels.h"

namespace nnreg::cpu {
namespace {

void forward_portable(const ForwardArgs& args, int64_t layer, int64_t begin, int64_t end) {
  forward_rows<2, 4>(args, layer, begin, end);
}
void backward_portable(const BackwardArgs& args, int64_t layer, int64_t begin, int64_t end,
                       float* dw, float* db) {
  backward_rows<2, 4>(args, layer, begin, end, dw, db);
}

#ifdef NNREG_X86_VARIANTS
NNREG_TARGET_AVX2
void forward_avx2(const ForwardArgs& args, int64_t layer, int64_t begin, int64_t end) {
  forward_rows<4, 8>(args, layer, begin, end);
}
NNREG_TARGET_AVX2
void backward_avx2(const BackwardArgs& args, int64_t layer, int64_t begin, int64_t end,
                   float* dw, float* db) {
  backward_rows<4, 8>(args, layer, begin, end, dw, db);
}
NNREG_TARGET_AVX512
void forward_avx512(const ForwardArgs& args, int64_t layer, int64_t begin, int64_t end) {
  forward_rows<8, 16>(args, layer, begin, end);
}
NNREG_TARGET_AVX512
void backward_avx512(const BackwardArgs& args, int64_t layer, int64_t begin, int64_t end,
                     float* dw, float* db) {
  backward_rows<8, 16>(args, layer, begin, end, dw, db);
}
#endif

std::vector<KernelSet> detect_kernel_sets() {
  const KernelSet portable{"portable", forward_portable, backward_portable};
#ifdef NNREG_X86_VARIANTS
  return kernel_sets_this_cpu_runs(portable, {"avx2", forward_avx2, backward_avx2},
                                   {"avx512", forward_avx512, backward_avx512});
#else
  return kernel_sets_this_cpu_runs(portable);
#endif
}

}  // namespace

const std::vector<KernelSet>& supported_kernel_sets() {
  static const std::vector<KernelSet> sets = detect_kernel_sets();
  return sets;
}

}  // namespace nnreg::cpu
