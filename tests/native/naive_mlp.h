// Double-precision loops defining a batch of tanh MLPs and their gradients, for the tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "common/mlp_shape.h"
#include "naive_dense.h"

namespace nnreg::testing {

// `members` networks of the given widths; x is one (n, k0) block shared by all of them when
// `shared_x`, else one block per member. Each member's parameters are packed as the kernels
// take them (MlpShape::layer_at), members one after another.
struct Network {
  MlpShape shape;
  bool shared_x;
  Matrix x;
  Matrix params;  // members × params_size

  const float* x_of(int64_t member) const {
    return x.data() + (shared_x ? 0 : member) * shape.n * shape.inputs();
  }
  const float* w_of(int64_t member, int64_t l) const {
    return params.data() + member * shape.params_size() + shape.layer_at(l);
  }
  const float* b_of(int64_t member, int64_t l) const {
    return w_of(member, l) + shape.widths[l] * shape.widths[l + 1];
  }
};

inline Network random_network(const std::vector<int64_t>& widths, int64_t members, int64_t n,
                              bool shared_x, std::mt19937& rng) {
  Network net;
  net.shape.batch_dims = {members};
  net.shape.members = members;
  net.shape.n = n;
  net.shape.widths = widths;
  net.shared_x = shared_x;
  net.x = random_matrix((shared_x ? 1 : members) * n * widths.front(), 1.0f, rng);
  for (int64_t member = 0; member < members; ++member) {
    for (size_t l = 0; l + 1 < widths.size(); ++l) {
      const float scale = 1.5f / std::sqrt(static_cast<float>(widths[l]));
      const Matrix w = random_matrix(widths[l] * widths[l + 1], scale, rng);
      const Matrix b = random_matrix(widths[l + 1], 0.5f, rng);
      net.params.insert(net.params.end(), w.begin(), w.end());
      net.params.insert(net.params.end(), b.begin(), b.end());
    }
  }
  return net;
}

// Per member: the input and every layer's output, row-major (n, width), in double.
inline std::vector<std::vector<std::vector<double>>> naive_layers(const Network& net) {
  const MlpShape& s = net.shape;
  std::vector<std::vector<std::vector<double>>> all(s.members);
  for (int64_t member = 0; member < s.members; ++member) {
    auto& layers = all[member];
    layers.emplace_back(net.x_of(member), net.x_of(member) + s.n * s.inputs());
    for (int64_t l = 0; l < s.layers(); ++l) {
      const int64_t k = s.widths[l], m = s.widths[l + 1];
      const float* w = net.w_of(member, l);
      const float* b = net.b_of(member, l);
      std::vector<double> out(s.n * m);
      for (int64_t i = 0; i < s.n; ++i) {
        for (int64_t j = 0; j < m; ++j) {
          double z = b[j];
          for (int64_t t = 0; t < k; ++t) z += layers[l][i * k + t] * w[t * m + j];
          out[i * m + j] = l + 1 < s.layers() ? std::tanh(z) : z;
        }
      }
      layers.push_back(std::move(out));
    }
  }
  return all;
}

struct MlpGradients {
  std::vector<double> dx;      // members × n × k0
  std::vector<double> params;  // members × params_size, packed as Network::params
};

inline MlpGradients naive_mlp_backward(const Network& net, const Matrix& dy) {
  const MlpShape& s = net.shape;
  const auto layers = naive_layers(net);
  MlpGradients g;
  g.dx.assign(s.members * s.n * s.inputs(), 0.0);
  g.params.assign(s.members * s.params_size(), 0.0);
  for (int64_t member = 0; member < s.members; ++member) {
    std::vector<double> grad(dy.begin() + member * s.n * s.outputs(),
                             dy.begin() + (member + 1) * s.n * s.outputs());
    for (int64_t l = s.layers() - 1; l >= 0; --l) {
      const int64_t k = s.widths[l], m = s.widths[l + 1];
      const float* w = net.w_of(member, l);
      double* dw = g.params.data() + member * s.params_size() + s.layer_at(l);
      double* db = dw + k * m;
      const std::vector<double>& input = layers[member][l];
      std::vector<double> below(s.n * k, 0.0);
      for (int64_t i = 0; i < s.n; ++i) {
        for (int64_t j = 0; j < m; ++j) {
          const double dz = grad[i * m + j];
          db[j] += dz;
          for (int64_t t = 0; t < k; ++t) {
            dw[t * m + j] += input[i * k + t] * dz;
            below[i * k + t] += dz * w[t * m + j];
          }
        }
      }
      if (l > 0) {
        for (size_t at = 0; at < below.size(); ++at) below[at] *= 1.0 - input[at] * input[at];
      }
      grad = std::move(below);
    }
    std::copy(grad.begin(), grad.end(), g.dx.begin() + member * s.n * s.inputs());
  }
  return g;
}

}  // namespace nnreg::testing
