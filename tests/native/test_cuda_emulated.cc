// The CUDA kernels and launch plans, run on host threads by cuda_emulation.h, against naive
// double-precision loops: their logic is checked even where no GPU is available.
#include "cuda_emulation.h"  // first: defines the CUDA names the kernel sources use

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "check.h"
#include "cuda/launch_plan.cuh"
#include "naive_dense.h"

namespace {

using nnreg::DenseShape;
using namespace nnreg::testing;
namespace cuda = nnreg::cuda;

// Runs each launch of a plan on host threads, after checking CUDA's grid limits.
struct EmulatedLauncher {
  int launches = 0;

  template <int BM, int BN, int TM, int TN, class Problem>
  xla::ffi::Error product(const Problem& problem, dim3 grid, int col_tiles, int split_depth) {
    CHECK(grid.x >= 1 && grid.y >= 1 && grid.y <= 65535 && grid.z >= 1 && grid.z <= 65535,
          "grid %u %u %u out of CUDA's limits", grid.x, grid.y, grid.z);
    ++launches;
    nnreg::emulation::launch(grid, cuda::TileShape<BM, BN, TM, TN>::kThreads, [&] {
      cuda::tiled_product<BM, BN, TM, TN, Problem>(problem, col_tiles, split_depth);
    });
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error sum_partials(unsigned blocks, unsigned threads, const float* partials,
                               int64_t layers, int64_t splits, int64_t k, int64_t m, float* dw,
                               float* db) {
    ++launches;
    nnreg::emulation::launch(dim3(blocks), threads, [&] {
      cuda::sum_partials(partials, layers, splits, k, m, dw, db);
    });
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error zero(float* data, size_t bytes) {
    std::memset(data, 0, bytes);
    return xla::ffi::Error::Success();
  }
};

// Unit and empty extents; several row and column tiles with ragged edges; depths that are
// not whole depth tiles; a batch; enough rows to split the dW sum in two.
const std::vector<DenseShape> kShapes = {
    {1, 1, 1, 1},   {1, 0, 3, 2},   {1, 5, 0, 3},    {1, 4, 3, 0},    {2, 40, 10, 10},
    {1, 130, 17, 70}, {1, 7, 33, 65}, {1, 64, 64, 64}, {1, 3000, 5, 3}, {3, 129, 1, 2},
};

void forward_matches_naive_loop() {
  std::mt19937 rng(7);
  for (const DenseShape& shape : kShapes) {
    const Layer l = random_layer(shape, rng);
    Matrix y(shape.batch * shape.n * shape.m, NAN);
    EmulatedLauncher launcher;
    const auto status =
        cuda::plan_forward(launcher, shape, l.x.data(), l.w.data(), l.b.data(), y.data());
    CHECK(status.success(), "forward %s failed: %s", describe(shape), status.message().c_str());
    CHECK(launcher.launches == (y.empty() ? 0 : 1), "forward %s: %d launches",
          describe(shape), launcher.launches);
    const double worst = max_abs_error(y, naive_forward(l));
    CHECK(worst <= 2e-5, "forward %s: max abs error %g", describe(shape), worst);
  }
}

void backward_matches_naive_loop() {
  std::mt19937 rng(8);
  for (const DenseShape& shape : kShapes) {
    const auto [batch, n, k, m] = shape;
    const Layer l = random_layer(shape, rng);
    const std::vector<double> exact_y = naive_forward(l);
    const Matrix y(exact_y.begin(), exact_y.end());
    const Matrix dy = random_matrix(batch * n * m, 1.0f, rng);
    Matrix dx(batch * n * k, NAN), dw(batch * k * m, NAN), db(batch * m, NAN);
    Matrix scratch(cuda::backward_scratch_floats(shape), NAN);
    EmulatedLauncher launcher;
    const auto status = cuda::plan_backward(launcher, shape, dy.data(), y.data(), l.x.data(),
                                            l.w.data(), dx.data(), dw.data(), db.data(),
                                            scratch.data());
    CHECK(status.success(), "backward %s failed: %s", describe(shape), status.message().c_str());
    const Gradients want = naive_backward(l, dy, y);
    for (const auto& [name, got, expected] :
         {std::tuple{"dx", &dx, &want.dx}, {"dW", &dw, &want.dw}, {"db", &db, &want.db}}) {
      const int64_t bad = count_mismatches(*got, *expected, gradient_tolerance(shape));
      CHECK(bad == 0, "backward %s: %lld of %zu %s values differ", describe(shape),
            static_cast<long long>(bad), expected->size(), name);
    }
  }
}

void splits_long_weight_gradient_sums() {
  const DenseShape shape{1, 3000, 5, 3};
  const cuda::RowSplits splits = cuda::weight_grad_splits(shape);
  CHECK(splits.count == 2 && splits.rows_each % cuda::kDepthTile == 0 &&
            splits.count * splits.rows_each >= shape.n &&
            (splits.count - 1) * splits.rows_each < shape.n,
        "3000 rows split as %lld × %lld", static_cast<long long>(splits.count),
        static_cast<long long>(splits.rows_each));
}

void rejects_layers_beyond_32_bit_offsets() {
  const DenseShape shape{1, int64_t{1} << 26, 64, 64};
  const auto status = cuda::check_32_bit_offsets(shape);
  CHECK(status.failure() && status.message().find("2^31") != std::string::npos,
        "2^32-element layer accepted");
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases(
      {
          {"forward_matches_naive_loop", forward_matches_naive_loop},
          {"backward_matches_naive_loop", backward_matches_naive_loop},
          {"splits_long_weight_gradient_sums", splits_long_weight_gradient_sums},
          {"rejects_layers_beyond_32_bit_offsets", rejects_layers_beyond_32_bit_offsets},
      },
      argc, argv);
}
