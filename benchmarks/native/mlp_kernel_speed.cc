// mlp_tanh's CPU tile kernels alone, without XLA: the forward (saving activations) and the
// backward of the lecture's 1-10-10-10-1 network, per instruction-set variant, on the calling
// thread. Kernel changes too small to see through a JAX program on a noisy machine show here;
// run two builds' copies in turn (e.g. under `taskset -c 0`) and compare. Usage:
//   mlp_kernel_speed [members = 8] [rows = 400] [calls per round = 200]
// Prints, per variant, the best of 7 rounds in microseconds per member and call.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "cpu/mlp_tanh_cpu.h"
#include "cpu/task_runner.h"

namespace {

using nnreg::MemberIndex;
using namespace nnreg::cpu;

constexpr int kRounds = 7;

std::vector<float> random_values(int64_t size, float scale, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(size);
  for (float& value : values) value = normal(rng);
  return values;
}

double microseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t members = argc > 1 ? std::atoll(argv[1]) : 8;
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 400;
  const int64_t calls = argc > 3 ? std::atoll(argv[3]) : 200;
  if (members < 1 || n < 1 || calls < 1) {
    std::fprintf(stderr, "usage: mlp_kernel_speed [members >= 1] [rows >= 1] [calls >= 1]\n");
    return 2;
  }
  nnreg::MlpShape shape;
  shape.batch_dims = {members};
  shape.members = members;
  shape.n = n;
  shape.widths = {1, 10, 10, 10, 1};
  const int64_t layers = shape.layers();
  const int64_t block = shape.hidden_total() * nnreg::kMlpRowBlock;

  std::mt19937 rng(0);
  const std::vector<float> x = random_values(n, 1.0f, rng);  // shared by every member
  const std::vector<float> dy = random_values(members * n, 0.01f, rng);
  // Each member's parameters packed as the kernels take them (MlpShape::layer_at).
  std::vector<float> params;
  for (int64_t member = 0; member < members; ++member) {
    for (int64_t l = 0; l < layers; ++l) {
      const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
      const std::vector<float> w = random_values(fan_in * fan_out, 1.0f / fan_in, rng);
      const std::vector<float> b = random_values(fan_out, 0.5f, rng);
      params.insert(params.end(), w.begin(), w.end());
      params.insert(params.end(), b.begin(), b.end());
    }
  }
  std::vector<float> y(members * n), saved(members * shape.row_blocks() * block), dx(members * n);
  std::vector<float> grads(params.size());
  const MemberInput x_in{x.data(), MemberIndex({members}, {1}, n)};
  const MemberInput params_in{params.data(),
                              MemberIndex({members}, {members}, shape.params_size())};
  const MlpForwardArgs forward{shape, x_in, params_in, y.data(), saved.data()};
  const MlpBackwardArgs backward{
      shape,
      {dy.data(), MemberIndex({members}, {members}, n)},
      x_in,
      {saved.data(), MemberIndex({members}, {members}, shape.row_blocks() * block)},
      params_in,
      dx.data(),
      grads.data()};

  const InlineRunner runner;
  std::printf("%lld member(s) x %lld rows of 1-10-10-10-1, one thread, best of %d rounds of "
              "%lld calls\n",
              static_cast<long long>(members), static_cast<long long>(n), kRounds,
              static_cast<long long>(calls));
  for (const MlpKernelSet& kernels : supported_mlp_kernel_sets()) {
    double best_forward = 1e300, best_backward = 1e300;
    for (int round = 0; round < kRounds; ++round) {
      auto start = std::chrono::steady_clock::now();
      for (int64_t call = 0; call < calls; ++call) mlp_tanh_forward(forward, runner, kernels);
      best_forward = std::min(best_forward, microseconds_since(start));
      start = std::chrono::steady_clock::now();
      for (int64_t call = 0; call < calls; ++call) mlp_tanh_backward(backward, runner, kernels);
      best_backward = std::min(best_backward, microseconds_since(start));
    }
    const double per = static_cast<double>(calls * members);
    std::printf("%-9s forward %7.2f us  backward %7.2f us  per member and call\n", kernels.name,
                best_forward / per, best_backward / per);
  }
  return 0;
}
