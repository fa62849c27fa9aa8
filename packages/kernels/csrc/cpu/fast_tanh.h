// A float tanh made of plain arithmetic and bit casts, so that loops over it vectorise.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu/inline.h"

namespace nnreg::cpu {

// Coefficient i of 2^r = exp(r ln 2): (ln 2)^i / i!.
constexpr float exp2_taylor(int i) {
  double term = 1.0;
  for (int j = 1; j <= i; ++j) term *= 0.6931471805599453 / j;
  return static_cast<float>(term);
}

NNREG_INLINE float bits_to_float(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

NNREG_INLINE uint32_t float_to_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// tanh(x) = sign(x) (1 - 2 / (exp(2|x|) + 1)). exp(2|x|) = 2^t with t = 2|x| log2(e) split
// into an integer n (placed into the exponent bits) and r in [-1/2, 1/2], where a degree-6
// Taylor polynomial of 2^r is accurate to 1.2e-7. |x| is capped at 10, where tanh rounds to
// 1 in float. Absolute error stays below 2e-7; NaN propagates.
NNREG_INLINE float fast_tanh(float x) {
  constexpr float kCap = 10.0f;
  constexpr float kTwoLog2e = 2.8853900817779268f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float magnitude = std::fabs(x);
  const float t = (magnitude > kCap ? kCap : magnitude) * kTwoLog2e;
  const float shifted = t + kRound;
  const float r = t - (shifted - kRound);
  float p = exp2_taylor(6);
  p = p * r + exp2_taylor(5);
  p = p * r + exp2_taylor(4);
  p = p * r + exp2_taylor(3);
  p = p * r + exp2_taylor(2);
  p = p * r + exp2_taylor(1);
  p = p * r + 1.0f;
  // The low mantissa bits of `shifted` hold n; shifting them into the exponent field gives 2^n.
  const float two_to_n = bits_to_float((float_to_bits(shifted) + 127u) << 23);
  const float result = 1.0f - 2.0f / (p * two_to_n + 1.0f);
  return std::copysign(result, x);
}

}  // namespace nnreg::cpu
