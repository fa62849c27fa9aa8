// mlp_tanh's CPU kernels, every instruction-set variant and both runners, against naive
// double-precision loops: forward, saved activations, backward, members sharing x or not.
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "check.h"
#include "cpu/claiming_runner.h"
#include "cpu/mlp_tanh_cpu.h"
#include "naive_mlp.h"
#include "thread_pool.h"

namespace {

using nnreg::MemberIndex;
using nnreg::cpu::ClaimingRunner;
using nnreg::cpu::InlineRunner;
using nnreg::cpu::MemberInput;
using nnreg::cpu::MlpKernelSet;
using nnreg::cpu::TaskRunner;
using namespace nnreg::testing;

struct Case {
  std::vector<int64_t> widths;
  int64_t members, n;
  bool shared_x;
};

// Rows: none, fewer than a tile or a vector, ragged tiles (last tiles of one to four 16-row
// quarters), and enough to split over threads. The backward's gradients start as NaN, so
// the cases split into several row parts a member (wide networks on many rows; two members of
// 1000 rows split even on one thread) check that the part written straight into the output
// overwrites it and that the others are added to it.
// Widths: 1, odd, around the 16-column panels, whole numbers of AVX-512's 6-output weight-gradient
// blocks (6, 12, 18), the 64 limit; depths 1 to 8.
const std::vector<Case> kCases = {
    {{1, 1}, 1, 1, false},          {{3, 5}, 2, 0, true},
    {{1, 10, 10, 10, 1}, 1, 400, true}, {{1, 10, 10, 10, 1}, 3, 67, true},
    {{2, 17, 1, 33, 4}, 2, 129, false}, {{5, 64, 64, 64, 3}, 1, 193, true},
    {{64, 64}, 2, 13, false},       {{1, 2, 3, 4, 5, 6, 7, 8, 9}, 2, 70, true},
    {{7, 16, 15, 2}, 4, 3000, true}, {{3, 12, 18, 6, 2}, 2, 150, false},
    {{1, 10, 10, 10, 1}, 2, 104, false}, {{5, 64, 64, 64, 3}, 2, 1000, false},
};

MemberInput params_input(const Network& net) {
  const auto& s = net.shape;
  return {net.params.data(), MemberIndex({s.members}, {s.members}, s.params_size())};
}

MemberInput x_input(const Network& net) {
  const auto& s = net.shape;
  return {net.x.data(),
          MemberIndex({s.members}, {net.shared_x ? 1 : s.members}, s.n * s.inputs())};
}

void check_case(const MlpKernelSet& kernels, const TaskRunner& runner, const Case& c,
                std::mt19937& rng) {
  const Network net = random_network(c.widths, c.members, c.n, c.shared_x, rng);
  const auto& s = net.shape;
  Matrix y(s.members * s.n * s.outputs(), NAN);
  const int64_t block = s.hidden_total() * nnreg::kMlpRowBlock;
  Matrix saved(s.members * s.row_blocks() * block, NAN);
  nnreg::cpu::mlp_tanh_forward({s, x_input(net), params_input(net), y.data(), saved.data()},
                               runner, kernels);
  const auto layers = naive_layers(net);
  std::vector<double> want_y, want_saved;
  for (int64_t member = 0; member < s.members; ++member) {
    const auto& last = layers[member].back();
    want_y.insert(want_y.end(), last.begin(), last.end());
    for (int64_t l = 1; l < s.layers(); ++l) {
      for (int64_t f = 0; f < s.widths[l]; ++f) {
        for (int64_t i = 0; i < s.n; ++i) {
          want_saved.push_back(layers[member][l][i * s.widths[l] + f]);
        }
      }
    }
  }
  const char* name = kernels.name;
  CHECK(count_mismatches(y, want_y, 2e-5) == 0, "%s forward widths=%zu n=%lld: max error %g",
        name, c.widths.size(), static_cast<long long>(c.n), max_abs_error(y, want_y));
  Matrix got_saved;  // the valid rows of the blocks, as (member, feature, row)
  for (int64_t member = 0; member < s.members; ++member) {
    for (int64_t f = 0; f < s.hidden_total(); ++f) {
      for (int64_t i = 0; i < s.n; ++i) {
        got_saved.push_back(saved[(member * s.row_blocks() + i / nnreg::kMlpRowBlock) * block +
                                  f * nnreg::kMlpRowBlock + i % nnreg::kMlpRowBlock]);
      }
    }
  }
  CHECK(count_mismatches(got_saved, want_saved, 2e-5) == 0,
        "%s activations n=%lld: max error %g", name, static_cast<long long>(c.n),
        max_abs_error(got_saved, want_saved));

  const Matrix dy = random_matrix(s.members * s.n * s.outputs(), 1.0f, rng);
  Matrix dx(s.members * s.n * s.inputs(), NAN);
  // NaN: every part of the gradients must be overwritten, not added to.
  Matrix grads(s.members * s.params_size(), NAN);
  const MemberInput dy_in{dy.data(), MemberIndex({s.members}, {s.members}, s.n * s.outputs())};
  const MemberInput saved_in{saved.data(),
                             MemberIndex({s.members}, {s.members}, s.row_blocks() * block)};
  nnreg::cpu::mlp_tanh_backward(
      {s, dy_in, x_input(net), saved_in, params_input(net), dx.data(), grads.data()}, runner,
      kernels);
  const MlpGradients want = naive_mlp_backward(net, dy);
  const double tolerance =
      2e-5 * std::sqrt(static_cast<double>(std::max<int64_t>(c.n, 1))) + 2e-5;
  CHECK(count_mismatches(dx, want.dx, tolerance) == 0, "%s dx n=%lld: max error %g", name,
        static_cast<long long>(c.n), max_abs_error(dx, want.dx));
  CHECK(count_mismatches(grads, want.params, tolerance) == 0,
        "%s grads n=%lld depth=%lld: max error %g", name, static_cast<long long>(c.n),
        static_cast<long long>(s.layers()), max_abs_error(grads, want.params));

  // Without dx (x's gradient not wanted) the weight gradients are exactly the same.
  Matrix grads_without_dx(grads.size(), NAN);
  nnreg::cpu::mlp_tanh_backward({s, dy_in, x_input(net), saved_in, params_input(net), nullptr,
                                 grads_without_dx.data()},
                                runner, kernels);
  CHECK(grads_without_dx == grads, "%s n=%lld: gradients differ without dx", name,
        static_cast<long long>(c.n));
}

void matches_naive_loops() {
  SpawningPool pool(3);
  const ClaimingRunner<SpawningPool> threaded(pool);
  const InlineRunner inline_runner;
  std::mt19937 rng(11);
  for (const MlpKernelSet& kernels : nnreg::cpu::supported_mlp_kernel_sets()) {
    for (const TaskRunner* runner : {static_cast<const TaskRunner*>(&inline_runner),
                                     static_cast<const TaskRunner*>(&threaded)}) {
      for (const Case& c : kCases) check_case(kernels, *runner, c, rng);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases({{"matches_naive_loops", matches_naive_loops}}, argc, argv);
}
