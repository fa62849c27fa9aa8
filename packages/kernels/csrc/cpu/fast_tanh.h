// A float tanh made of plain arithmetic, bit casts and selects, accurate to a few ulp
// relative over the whole float range, written once for scalars and for GCC/Clang vectors.
#pragma once

#include <cstdint>
#include <cstring>

#include "cpu/inline.h"

namespace nnreg::cpu {

// tanh(x) = x P(x²) / Q(x²) on |x| <= kTanhSaturates, P of degree 5 and Q of degree 3 in x²,
// both with constant term 1: fitted to minimise the relative error on [0, 8] (iteratively
// reweighted linearised least squares), 2.5e-8 in exact arithmetic, under 5 ulp in float.
// The relative error stays bounded as x shrinks (subnormals pass through unchanged: x²
// underflows and P = Q = 1), unlike 1 - 2 / (exp(2x) + 1), which cancels.
constexpr float kTanhSaturates = 8.0f;  // beyond, tanh is within 4 ulp of 1: return ±1
constexpr float kTanhP[] = {1.0f, 0.1299113929271698f, 0.002998622599989176f,
                            9.994767424359452e-06f, -1.5054732571684326e-08f,
                            2.442672800140322e-11f};
constexpr float kTanhQ[] = {1.0f, 0.4632447063922882f, 0.02408028580248356f,
                            0.00023896325728856027f};

// tanh of every lane of x, in place. F is float or a vector of floats, U the unsigned 32-bit
// integer (vector) of the same shape. Vectors never pass by value: their calling convention
// depends on the instruction set of the caller. One division, no branches; NaN propagates.
template <class F, class U>
NNREG_INLINE void tanh_in_place(F& x) {
  U bits;
  std::memcpy(&bits, &x, sizeof bits);
  const U sign = bits & 0x80000000u;
  U magnitude_bits = bits ^ sign;
  F magnitude;
  std::memcpy(&magnitude, &magnitude_bits, sizeof magnitude);
  const F clamped_magnitude = magnitude > kTanhSaturates ? F{} + kTanhSaturates : magnitude;
  const F u = clamped_magnitude * clamped_magnitude;
  F p = F{} + kTanhP[5];
  p = p * u + kTanhP[4];
  p = p * u + kTanhP[3];
  p = p * u + kTanhP[2];
  p = p * u + kTanhP[1];
  p = p * u + kTanhP[0];
  F q = F{} + kTanhQ[3];
  q = q * u + kTanhQ[2];
  q = q * u + kTanhQ[1];
  q = q * u + kTanhQ[0];
  const F result_magnitude = magnitude > kTanhSaturates ? F{} + 1.0f : clamped_magnitude * p / q;
  U result_bits;
  std::memcpy(&result_bits, &result_magnitude, sizeof result_bits);
  result_bits |= sign;
  std::memcpy(&x, &result_bits, sizeof x);
}

NNREG_INLINE float fast_tanh(float x) {
  tanh_in_place<float, uint32_t>(x);
  return x;
}

}  // namespace nnreg::cpu
