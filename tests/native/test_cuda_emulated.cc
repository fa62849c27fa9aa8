// The CUDA kernels and launch plans, run on host threads by cuda_emulation.h, against naive
// double-precision loops: their logic is checked even where no GPU is available.
#include "cuda_emulation.h"  // first: defines the CUDA names the kernel sources use

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
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

constexpr int kIntMax = std::numeric_limits<int>::max();

void fits_32_bit_offsets_at_the_boundary() {
  const int64_t root = 46340;  // root² < 2^31 <= (root + 1)²
  const std::vector<std::pair<DenseShape, bool>> cases = {
      {{1, kIntMax, 1, 1}, true},         {{1, 1, kIntMax - 1, 1}, true},
      {{1, 1, 0, kIntMax}, true},         {{1, root, root, 1}, true},
      {{1, 1, root - 1, root}, true},     {{int64_t{1} << 40, 8, 8, 8}, true},
      {{1, int64_t{kIntMax} + 1, 1, 1}, false},    {{1, 1, kIntMax, 1}, false},
      {{1, kIntMax, 1, 2}, false},        {{1, root + 1, root + 1, 1}, false},
      {{1, 1, root, root + 1}, false},    {{1, 0, kIntMax, 0}, false},
  };
  for (const auto& [shape, fits] : cases) {
    CHECK(cuda::fits_32_bit_offsets(shape) == fits, "%s: fits_32_bit_offsets != %d",
          describe(shape), fits);
  }
}

// Records each launch of a plan instead of running it.
struct RecordingLauncher {
  struct Product {
    dim3 grid;
    int rows, cols, depth, split_depth;
  };
  std::vector<Product> products;
  int other_launches = 0;

  template <int BM, int BN, int TM, int TN, class Problem>
  xla::ffi::Error product(const Problem& problem, dim3 grid, int, int split_depth) {
    products.push_back({grid, problem.rows, problem.cols, problem.depth, split_depth});
    return xla::ffi::Error::Success();
  }
  xla::ffi::Error sum_partials(unsigned, unsigned, const float*, int64_t, int64_t, int64_t,
                               int64_t, float*, float*) {
    ++other_launches;
    return xla::ffi::Error::Success();
  }
  xla::ffi::Error zero(float*, size_t) {
    ++other_launches;
    return xla::ffi::Error::Success();
  }
};

// The largest layers the plan takes: every launch's extents are the shape's, and the depth
// splits cover every row exactly once, although their rounded-up ends pass 2^31.
void plans_layers_at_the_32_bit_limit() {
  for (const DenseShape& shape : {DenseShape{2, kIntMax, 1, 1}, DenseShape{1, 1, kIntMax - 1, 1},
                                  DenseShape{1, 1, 1, kIntMax / 2}}) {
    RecordingLauncher launcher;
    CHECK(cuda::plan_forward(launcher, shape, nullptr, nullptr, nullptr, nullptr).success() &&
              cuda::plan_backward(launcher, shape, nullptr, nullptr, nullptr, nullptr, nullptr,
                                  nullptr, nullptr, nullptr)
                  .success(),
          "%s rejected", describe(shape));
    if (launcher.products.size() != 3) {
      CHECK(false, "%s: %zu products", describe(shape), launcher.products.size());
      continue;
    }
    for (const auto& p : launcher.products) {
      CHECK(p.rows > 0 && p.cols >= 0 && p.depth > 0 && p.split_depth > 0 && p.grid.x > 0,
            "%s: launch of %d×%d over %d split by %d", describe(shape), p.rows, p.cols,
            p.depth, p.split_depth);
    }
    const auto& grad = launcher.products.back();  // the dW product sums over the n rows
    const int64_t splits = grad.grid.y;
    CHECK(grad.depth == shape.n && splits * grad.split_depth >= shape.n &&
              (splits - 1) * grad.split_depth < shape.n,
          "%s: %lld splits of %d rows", describe(shape), static_cast<long long>(splits),
          grad.split_depth);
  }
  RecordingLauncher launcher;
  const DenseShape too_large{1, kIntMax, 2, 1};
  const auto status = cuda::plan_backward(launcher, too_large, nullptr, nullptr, nullptr,
                                          nullptr, nullptr, nullptr, nullptr, nullptr);
  CHECK(status.failure() && status.message().find("2^31") != std::string::npos &&
            launcher.products.empty() && launcher.other_launches == 0,
        "%s planned", describe(too_large));
}

// A product whose operands are computed, not stored, so it can have extents near 2^31:
// A(i, t) = t mod 64, B = 1, and one block's C kept in `out`.
struct ComputedProblem {
  static constexpr bool kDepthContiguousA = true;
  int64_t layers = 1;
  int rows, cols, depth;
  int first_row, first_col;  // C(first_row, first_col) is out[0]
  float* out;
  std::atomic<int>* stores;

  struct Layer {
    const ComputedProblem* p;
    float a(int, int t) const { return static_cast<float>(t % 64); }
    float b(int, int) const { return 1.0f; }
    void store(int, int i, int c, const float (&v)[4], int count) const {
      for (int j = 0; j < count; ++j) {
        p->out[(i - p->first_row) * cuda::kColsPerBlock + c - p->first_col + j] = v[j];
      }
      p->stores->fetch_add(count);
    }
  };
  Layer layer(int64_t) const { return {this}; }
};

// Runs one block, at `block` in `grid`, of a kernel on host threads.
template <class Kernel>
void run_block(dim3 grid, dim3 block, unsigned threads, const Kernel& kernel) {
  std::barrier<> barrier(threads);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      nnreg::emulation::thread_index = dim3(t);
      nnreg::emulation::block_index = block;
      nnreg::emulation::grid_dim = grid;
      nnreg::emulation::block_dim = dim3(threads);
      nnreg::emulation::block_barrier = &barrier;
      kernel();
    });
  }
  for (std::thread& worker : workers) worker.join();
}

// The last block of a product with INT_MAX rows and depth: the final depth split's end (2^31)
// and the depth tile after it would wrap a 32-bit int.
void products_reach_the_last_element_below_2_31() {
  constexpr int BM = cuda::kRowsPerBlock, BN = cuda::kColsPerBlock, split_depth = 64;
  constexpr int cols = BN - 1, col_tiles = 1;
  const auto row_tiles = static_cast<unsigned>(cuda::ceil_div(kIntMax, BM));
  const unsigned last_split = static_cast<unsigned>(kIntMax / split_depth);
  std::vector<float> out(BM * BN, NAN);
  std::atomic<int> stores{0};
  const ComputedProblem problem{1, kIntMax, cols, kIntMax, kIntMax - BM + 1, 0, out.data(),
                                &stores};
  run_block(dim3(row_tiles, last_split + 1), dim3(row_tiles - 1, last_split, 0),
            cuda::TileShape<BM, BN, cuda::kRowsPerThread, cuda::kColsPerThread>::kThreads, [&] {
              cuda::tiled_product<BM, BN, cuda::kRowsPerThread, cuda::kColsPerThread>(
                  problem, col_tiles, split_depth);
            });
  // The split sums t = 2^31 - 64 ... 2^31 - 2, where t mod 64 = 0 ... 62.
  const float want = 62.0f * 63.0f / 2.0f;
  int wrong = 0;
  for (int i = 0; i < BM - 1; ++i) {  // rows 2^31 - 128 ... 2^31 - 2
    for (int c = 0; c < cols; ++c) wrong += out[i * BN + c] != want;
  }
  CHECK(stores.load() == (BM - 1) * cols && wrong == 0,
        "%d of %d stores, %d wrong sums (last C: %g, want %g)", stores.load(), (BM - 1) * cols,
        wrong, out[(BM - 2) * BN + cols - 1], want);
}

void next_depth_tile_stops_at_the_end() {
  CHECK(cuda::next_depth_tile(0, 100) == 32 && cuda::next_depth_tile(96, 100) == 100 &&
            cuda::next_depth_tile(kIntMax - 31, kIntMax) == kIntMax,
        "next_depth_tile steps past its end");
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases(
      {
          {"forward_matches_naive_loop", forward_matches_naive_loop},
          {"backward_matches_naive_loop", backward_matches_naive_loop},
          {"splits_long_weight_gradient_sums", splits_long_weight_gradient_sums},
          {"rejects_layers_beyond_32_bit_offsets", rejects_layers_beyond_32_bit_offsets},
          {"fits_32_bit_offsets_at_the_boundary", fits_32_bit_offsets_at_the_boundary},
          {"plans_layers_at_the_32_bit_limit", plans_layers_at_the_32_bit_limit},
          {"products_reach_the_last_element_below_2_31",
           products_reach_the_last_element_below_2_31},
          {"next_depth_tile_stops_at_the_end", next_depth_tile_stops_at_the_end},
      },
      argc, argv);
}
