// Every CPU kernel variant against naive double-precision loops, on awkward shapes.
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/claiming_runner.h"
#include "cpu/dense_tanh_cpu.h"
#include "naive_dense.h"
#include "thread_pool.h"

namespace {

using nnreg::DenseShape;
using nnreg::cpu::ClaimingRunner;
using nnreg::cpu::InlineRunner;
using nnreg::cpu::KernelSet;
using nnreg::cpu::TaskRunner;
using namespace nnreg::testing;

// batch, n, k, m: unit and empty extents, sizes around the 16-column panels and the
// 64-row backward blocks, and enough rows to split across threads.
const std::vector<DenseShape> kShapes = {
    {1, 1, 1, 1},    {1, 0, 3, 2},     {1, 7, 1, 5},       {1, 9, 4, 1},  {1, 1, 16, 16},
    {1, 33, 17, 19}, {3, 10, 10, 10},  {2, 65, 31, 33},    {1, 4, 0, 3},  {1, 4, 3, 0},
    {0, 5, 2, 2},    {2, 300, 64, 64}, {1, 20000, 8, 40}, {1, 129, 1, 1},
};

void check_forward(const KernelSet& kernels, const TaskRunner& runner, const Layer& l) {
  const auto [batch, n, k, m] = l.shape;
  Matrix y(batch * n * m, NAN);
  nnreg::cpu::dense_tanh_forward({l.shape, l.x.data(), l.w.data(), l.b.data(), y.data()}, runner,
                                 kernels);
  const double worst = max_abs_error(y, naive_forward(l));
  CHECK(worst <= 2e-5, "%s forward %s: max abs error %g", kernels.name, describe(l.shape), worst);
}

void check_backward(const KernelSet& kernels, const TaskRunner& runner, const Layer& l,
                    std::mt19937& rng) {
  const auto [batch, n, k, m] = l.shape;
  const std::vector<double> exact_y = naive_forward(l);
  const Matrix y(exact_y.begin(), exact_y.end());
  const Matrix dy = random_matrix(batch * n * m, 1.0f, rng);
  Matrix dx(batch * n * k, NAN), dw(batch * k * m, NAN), db(batch * m, NAN);
  nnreg::cpu::dense_tanh_backward({l.shape, dy.data(), y.data(), l.x.data(), l.w.data(),
                                   dx.data(), dw.data(), db.data()},
                                  runner, kernels);
  const Gradients want = naive_backward(l, dy, y);
  const double tolerance = gradient_tolerance(l.shape);
  for (const auto& [name, got, expected] :
       {std::tuple{"dx", &dx, &want.dx}, {"dW", &dw, &want.dw}, {"db", &db, &want.db}}) {
    const int64_t bad = count_mismatches(*got, *expected, tolerance);
    CHECK(bad == 0, "%s backward %s: %lld of %zu %s values differ", kernels.name,
          describe(l.shape), static_cast<long long>(bad), expected->size(), name);
  }
}

template <class Check>
void for_each_variant(Check check) {
  SpawningPool pool(3);
  const ClaimingRunner<SpawningPool> threaded(pool);
  const InlineRunner inline_runner;
  std::mt19937 rng(42);
  for (const KernelSet& kernels : nnreg::cpu::supported_kernel_sets()) {
    for (const TaskRunner* runner : {static_cast<const TaskRunner*>(&inline_runner),
                                     static_cast<const TaskRunner*>(&threaded)}) {
      for (const DenseShape& shape : kShapes) check(kernels, *runner, random_layer(shape, rng), rng);
    }
  }
}

void forward_matches_naive_loop() {
  for_each_variant([](const KernelSet& kernels, const TaskRunner& runner, const Layer& layer,
                      std::mt19937&) { check_forward(kernels, runner, layer); });
}

void backward_matches_naive_loop() { for_each_variant(check_backward); }

void forward_saturates_and_propagates_nan() {
  const DenseShape shape{1, 1, 1, 4};
  const Matrix x{1.0f}, w{100.0f, -100.0f, 0.0f, NAN}, b{0.0f, 0.0f, -0.0f, 0.0f};
  for (const KernelSet& kernels : nnreg::cpu::supported_kernel_sets()) {
    Matrix y(4);
    nnreg::cpu::dense_tanh_forward({shape, x.data(), w.data(), b.data(), y.data()},
                                   InlineRunner(), kernels);
    CHECK(y[0] == 1.0f && y[1] == -1.0f && y[2] == 0.0f && std::isnan(y[3]),
          "%s: tanh(100), tanh(-100), tanh(0), tanh(nan) gave %g %g %g %g", kernels.name, y[0],
          y[1], y[2], y[3]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases(
      {
          {"forward_matches_naive_loop", forward_matches_naive_loop},
          {"backward_matches_naive_loop", backward_matches_naive_loop},
          {"forward_saturates_and_propagates_nan", forward_saturates_and_propagates_nan},
      },
      argc, argv);
}
