// The CPU kernels' tanh against std::tanh in double: relative error in ulp over the whole
// float range (every 7th bit pattern), scalar and vector forms alike, and its special values.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "check.h"
#include "cpu/fast_tanh.h"
#include "cpu/tile.h"

namespace {

using nnreg::cpu::fast_tanh;

// Distance from `got` to the exact tanh(x), in units of the float spacing at tanh(x).
double ulp_error(float x, float got) {
  const double exact = std::tanh(static_cast<double>(x));
  const float rounded = static_cast<float>(exact);
  const double spacing = std::fabs(std::nextafter(rounded, 0.0f) - rounded);
  return std::fabs(got - exact) / spacing;
}

float from_bits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

void accurate_to_a_few_ulp_everywhere() {
  double worst = 0.0;
  float worst_at = 0.0f;
  for (uint32_t bits = 0; bits < 0x7f800000u; bits += 7) {
    const float x = from_bits(bits);
    const float got = fast_tanh(x);
    CHECK(fast_tanh(-x) == -got, "tanh(-%g) = %g is not -tanh(%g) = %g", x, fast_tanh(-x), x, got);
    const double error = ulp_error(x, got);
    if (error > worst) worst = error, worst_at = x;
  }
  CHECK(worst <= 6.0, "worst error %.2f ulp at x = %.9g", worst, worst_at);
  std::printf("worst relative error %.2f ulp at x = %.9g\n", worst, worst_at);
}

void small_and_subnormal_inputs_keep_relative_accuracy() {
  for (const float x : {1e-3f, 1e-5f, 1e-7f, 1e-20f, 1e-38f, 1e-40f, 1e-45f}) {
    const double error = ulp_error(x, fast_tanh(x));
    CHECK(error <= 1.0, "tanh(%g) = %.9g, %.2f ulp off", x, fast_tanh(x), error);
  }
  CHECK(fast_tanh(0.0f) == 0.0f && std::signbit(fast_tanh(-0.0f)), "tanh(±0) lost its sign");
}

void saturates_and_propagates_nan() {
  CHECK(fast_tanh(INFINITY) == 1.0f && fast_tanh(-INFINITY) == -1.0f && fast_tanh(9.0f) == 1.0f,
        "tanh(inf) = %g, tanh(-inf) = %g, tanh(9) = %g", fast_tanh(INFINITY),
        fast_tanh(-INFINITY), fast_tanh(9.0f));
  CHECK(std::isnan(fast_tanh(NAN)), "tanh(nan) = %g", fast_tanh(NAN));
}

void vector_form_matches_scalar() {
  using Lanes = nnreg::cpu::Lanes<4>;
  for (uint32_t bits = 0x30000000u; bits < 0x41800000u; bits += 4 * 4099) {
    float values[4], vector_result[4];
    for (int lane = 0; lane < 4; ++lane) {
      values[lane] = from_bits(bits + lane) * (lane % 2 ? -1.0f : 1.0f);
    }
    Lanes::Vector v;
    std::memcpy(&v, values, sizeof v);
    nnreg::cpu::tanh_in_place<Lanes::Vector, Lanes::Bits>(v);
    std::memcpy(vector_result, &v, sizeof v);
    for (int lane = 0; lane < 4; ++lane) {
      CHECK(vector_result[lane] == fast_tanh(values[lane]), "lane %d: x = %g: %g against %g",
            lane, values[lane], vector_result[lane], fast_tanh(values[lane]));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  return nnreg::testing::run_cases(
      {
          {"accurate_to_a_few_ulp_everywhere", accurate_to_a_few_ulp_everywhere},
          {"small_and_subnormal_inputs_keep_relative_accuracy",
           small_and_subnormal_inputs_keep_relative_accuracy},
          {"saturates_and_propagates_nan", saturates_and_propagates_nan},
          {"vector_form_matches_scalar", vector_form_matches_scalar},
      },
      argc, argv);
}
