// Double-precision loops defining the dense+tanh layer and its gradients, for the tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/dense_shape.h"

namespace nnreg::testing {

using Matrix = std::vector<float>;

inline Matrix random_matrix(int64_t size, float scale, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, scale);
  Matrix values(size);
  for (float& v : values) v = normal(rng);
  return values;
}

struct Layer {
  DenseShape shape;
  Matrix x, w, b;
};

// W scaled so that pre-activations spread over tanh's curved range.
inline Layer random_layer(const DenseShape& s, std::mt19937& rng) {
  const float w_scale = 1.5f / std::sqrt(static_cast<float>(std::max<int64_t>(s.k, 1)));
  return Layer{s, random_matrix(s.batch * s.n * s.k, 1.0f, rng),
               random_matrix(s.batch * s.k * s.m, w_scale, rng),
               random_matrix(s.batch * s.m, 0.5f, rng)};
}

inline std::vector<double> naive_forward(const Layer& l) {
  const auto [batch, n, k, m] = l.shape;
  std::vector<double> y(batch * n * m);
  for (int64_t layer = 0; layer < batch; ++layer) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double z = l.b[layer * m + j];
        for (int64_t t = 0; t < k; ++t) {
          z += double(l.x[(layer * n + i) * k + t]) * l.w[(layer * k + t) * m + j];
        }
        y[(layer * n + i) * m + j] = std::tanh(z);
      }
    }
  }
  return y;
}

struct Gradients {
  std::vector<double> dx, dw, db;
};

inline Gradients naive_backward(const Layer& l, const Matrix& dy, const Matrix& y) {
  const auto [batch, n, k, m] = l.shape;
  Gradients g{std::vector<double>(batch * n * k), std::vector<double>(batch * k * m),
              std::vector<double>(batch * m)};
  for (int64_t layer = 0; layer < batch; ++layer) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        const int64_t at = (layer * n + i) * m + j;
        const double dz = double(dy[at]) * (1.0 - double(y[at]) * y[at]);
        g.db[layer * m + j] += dz;
        for (int64_t t = 0; t < k; ++t) {
          g.dx[(layer * n + i) * k + t] += dz * l.w[(layer * k + t) * m + j];
          g.dw[(layer * k + t) * m + j] += double(l.x[(layer * n + i) * k + t]) * dz;
        }
      }
    }
  }
  return g;
}

inline double max_abs_error(const Matrix& got, const std::vector<double>& want) {
  double worst = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double error = std::fabs(got[i] - want[i]);
    worst = std::isnan(error) ? INFINITY : std::max(worst, error);
  }
  return worst;
}

// How many of `got` differ from `want` by more than tolerance × (1 + |want|); NaN counts.
inline int64_t count_mismatches(const Matrix& got, const std::vector<double>& want,
                                double tolerance) {
  int64_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    bad += !(std::fabs(got[i] - want[i]) <= tolerance * (1.0 + std::fabs(want[i])));
  }
  return bad;
}

// Float sums over n terms: the tolerance grows with the number of rows.
inline double gradient_tolerance(const DenseShape& s) {
  return 1e-5 * std::sqrt(static_cast<double>(std::max<int64_t>(s.n, 1))) + 1e-5;
}

inline const char* describe(const DenseShape& s) {
  static thread_local char text[96];
  std::snprintf(text, sizeof text, "batch=%lld n=%lld k=%lld m=%lld",
                static_cast<long long>(s.batch), static_cast<long long>(s.n),
                static_cast<long long>(s.k), static_cast<long long>(s.m));
  return text;
}

}  // namespace nnreg::testing
