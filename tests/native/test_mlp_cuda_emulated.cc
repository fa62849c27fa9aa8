// mlp_tanh's CUDA kernels and launch plans, run on host threads by cuda_emulation.h, against
// naive double-precision loops: their logic is checked where no GPU is available.
#include "cuda_emulation.h"  // first: defines the CUDA names the kernel sources use

#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "cuda/mlp_plan.cuh"
#include "naive_mlp.h"

namespace {

using nnreg::Dims;
using nnreg::kMlpRowBlock;
using namespace nnreg::testing;
namespace cuda = nnreg::cuda;
using Extents = std::vector<int64_t>;

struct EmulatedLauncher {
  int launches = 0;

  xla::ffi::Error forward(dim3 grid, const cuda::MlpParams& p) {
    ++launches;
    nnreg::emulation::launch(grid, cuda::kMlpThreads, [&] { cuda::mlp_forward_kernel(p); });
    return xla::ffi::Error::Success();
  }
  xla::ffi::Error backward(dim3 grid, const cuda::MlpParams& p) {
    ++launches;
    nnreg::emulation::launch(grid, cuda::kMlpThreads, [&] { cuda::mlp_backward_kernel(p); });
    return xla::ffi::Error::Success();
  }
  xla::ffi::Error sum_partials(unsigned blocks, unsigned threads, const cuda::MlpParams& p) {
    ++launches;
    nnreg::emulation::launch(dim3(blocks), threads, [&] { cuda::mlp_sum_partials(p); });
    return xla::ffi::Error::Success();
  }
};

struct Case {
  std::vector<int64_t> widths;
  int64_t members, n;
  bool shared_x;
};

// No rows, a partial block, several blocks, widths 1 to 64 (whole and partial register tiles of
// 8 features), the most layers (8), and 300 members, whose 2 backward slots stride over 3 row
// blocks.
const std::vector<Case> kCases = {
    {{1, 10, 10, 10, 1}, 2, 130, true},
    {{3, 1}, 1, 0, false},
    {{2, 64, 5, 3}, 1, 70, false},
    {{1, 4, 1}, 3, 1, true},
    {{5, 17, 63, 9, 2}, 2, 200, false},
    {{64, 64, 64, 1}, 1, 70, false},
    {{3, 64, 64, 64, 64, 64, 64, 64, 2}, 2, 65, false},
    {{7, 33, 41, 57, 8, 16, 24, 63, 64}, 2, 129, false},
    {{1, 1, 1, 1, 1, 1, 1, 1, 1}, 2, 65, true},
    {{2, 9, 3}, 300, 130, true},
};

Dims dims(const Extents& e) { return Dims{e.data(), e.size()}; }

void check_case(const Case& c, std::mt19937& rng) {
  const Network net = random_network(c.widths, c.members, c.n, c.shared_x, rng);
  const auto& s = net.shape;
  // The buffers' extents as XLA would pass them, with x broadcast when shared.
  const Extents x_dims{c.shared_x ? 1 : c.members, c.n, s.inputs()};
  const Extents y_dims{c.members, c.n, s.outputs()}, dx_dims{c.members, c.n, s.inputs()};
  const Extents saved_dims{c.members, s.row_blocks(), s.hidden_total(), kMlpRowBlock};
  const Extents params_dims{c.members, s.params_size()};
  const nnreg::Widths widths{c.widths.data(), c.widths.size()};

  nnreg::MlpForwardBuffers forward;
  const Dims saved_d = dims(saved_dims);
  const std::string problem = nnreg::check_mlp_forward(dims(x_dims), dims(params_dims), widths,
                                                       dims(y_dims), &saved_d, forward.shape,
                                                       forward.operands);
  CHECK(problem.empty(), "%s", problem.c_str());
  Matrix y(c.members * c.n * s.outputs(), NAN);
  Matrix saved(c.members * s.row_blocks() * s.hidden_total() * kMlpRowBlock, NAN);
  forward.x = net.x.data();
  forward.params = net.params.data();
  forward.y = y.data();
  forward.activations = saved.data();
  EmulatedLauncher launcher;
  const auto status = cuda::plan_mlp_forward(launcher, forward);
  CHECK(status.success(), "forward failed: %s", status.message().c_str());
  const auto naive = naive_layers(net);
  std::vector<double> want_y;
  for (int64_t m = 0; m < c.members; ++m) {
    want_y.insert(want_y.end(), naive[m].back().begin(), naive[m].back().end());
  }
  CHECK(count_mismatches(y, want_y, 2e-5) == 0, "forward n=%lld: max error %g",
        static_cast<long long>(c.n), max_abs_error(y, want_y));

  nnreg::MlpBackwardBuffers backward;
  const Extents dy_dims = y_dims;
  const std::string backward_problem = nnreg::check_mlp_backward(
      dims(dy_dims), dims(x_dims), dims(saved_dims), dims(params_dims), widths, dims(dx_dims),
      dims(params_dims), backward.shape, backward.operands);
  CHECK(backward_problem.empty(), "%s", backward_problem.c_str());
  const Matrix dy = random_matrix(c.members * c.n * s.outputs(), 1.0f, rng);
  Matrix dx(c.members * c.n * s.inputs(), NAN);
  Matrix grads(net.params.size(), NAN);
  backward.dy = dy.data();
  backward.x = net.x.data();
  backward.activations = saved.data();
  backward.params = net.params.data();
  backward.dx = dx.data();
  backward.grads = grads.data();
  Matrix scratch(cuda::mlp_backward_scratch_floats(backward.shape), NAN);
  const auto backward_status = cuda::plan_mlp_backward(launcher, backward, scratch.data());
  CHECK(backward_status.success(), "backward failed: %s", backward_status.message().c_str());
  // forward (none without rows), backward, sum of partials
  CHECK(launcher.launches == (c.n > 0 ? 3 : 2), "%d launches", launcher.launches);
  const MlpGradients want = naive_mlp_backward(net, dy);
  const double tolerance = 2e-5 * std::sqrt(static_cast<double>(std::max<int64_t>(c.n, 1)));
  CHECK(count_mismatches(dx, want.dx, tolerance) == 0, "dx n=%lld: max error %g",
        static_cast<long long>(c.n), max_abs_error(dx, want.dx));
  CHECK(count_mismatches(grads, want.params, tolerance) == 0, "grads n=%lld: max error %g",
        static_cast<long long>(c.n), max_abs_error(grads, want.params));

  // Without dx (x's gradient not wanted) the weight gradients are exactly the same.
  Matrix grads_without_dx(grads.size(), NAN);
  backward.grads = grads_without_dx.data();
  backward.dx = nullptr;
  const auto no_dx_status = cuda::plan_mlp_backward(launcher, backward, scratch.data());
  CHECK(no_dx_status.success(), "backward without dx failed: %s",
        no_dx_status.message().c_str());
  CHECK(grads_without_dx == grads, "n=%lld: gradients differ without dx",
        static_cast<long long>(c.n));
}

void matches_naive_loops() {
  std::mt19937 rng(21);
  for (const Case& c : kCases) check_case(c, rng);
}

void slots_cover_every_row_block() {
  nnreg::MlpShape shape;
  shape.members = 1;
  shape.n = 100000;
  CHECK(cuda::mlp_backward_slots(shape) == cuda::kMlpTargetBlocks, "1 member: %lld slots",
        static_cast<long long>(cuda::mlp_backward_slots(shape)));
  shape.n = 100;
  shape.members = 8;
  CHECK(cuda::mlp_backward_slots(shape) == 2, "2 row blocks: %lld slots",
        static_cast<long long>(cuda::mlp_backward_slots(shape)));
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases({{"matches_naive_loops", matches_naive_loops},
                    {"slots_cover_every_row_block", slots_cover_every_row_block}},
                   argc, argv);
}
