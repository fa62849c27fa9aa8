// Validation of the buffer shapes the FFI handlers receive.
#include <string>
#include <vector>

#include "check.h"
#include "common/dense_shape.h"

namespace {

using nnreg::DenseShape;
using nnreg::Dims;
using Extents = std::vector<int64_t>;

Dims dims(const Extents& extents) { return Dims{extents.data(), extents.size()}; }

std::string forward(const Extents& x, const Extents& w, const Extents& b, const Extents& y,
                    DenseShape& shape) {
  return nnreg::check_forward(dims(x), dims(w), dims(b), dims(y), shape);
}

void accepts_plain_and_batched_layers() {
  DenseShape shape;
  CHECK(forward({5, 3}, {3, 2}, {2}, {5, 2}, shape).empty(), "plain layer rejected");
  CHECK(shape.batch == 1 && shape.n == 5 && shape.k == 3 && shape.m == 2, "wrong shape");
  CHECK(forward({4, 6, 0, 3}, {4, 6, 3, 1}, {4, 6, 1}, {4, 6, 0, 1}, shape).empty(),
        "batched layer rejected");
  CHECK(shape.batch == 24 && shape.n == 0 && shape.k == 3 && shape.m == 1, "wrong shape");
}

void rejects_inconsistent_layers_naming_shapes() {
  DenseShape shape;
  const std::string message = forward({5, 3}, {4, 2}, {2}, {5, 2}, shape);
  CHECK(message.find("x(5, 3)") != std::string::npos && message.find("W(4, 2)") != std::string::npos,
        "message does not name the shapes: %s", message.c_str());
  CHECK(!forward({5}, {5, 2}, {2}, {2}, shape).empty(), "rank-1 x accepted");
  CHECK(!forward({5, 3}, {3, 2}, {3}, {5, 2}, shape).empty(), "wrong bias length accepted");
  CHECK(!forward({5, 3}, {3, 2}, {1, 2}, {5, 2}, shape).empty(), "rank-2 bias accepted");
  CHECK(!forward({5, 3}, {3, 2}, {2}, {5, 3}, shape).empty(), "wrong y accepted");
  CHECK(!forward({2, 5, 3}, {3, 3, 2}, {2, 2}, {2, 5, 2}, shape).empty(),
        "different batch dimensions accepted");
  CHECK(!forward({-1, 3}, {3, 2}, {2}, {-1, 2}, shape).empty(), "negative extent accepted");
}

void checks_every_backward_buffer() {
  DenseShape shape;
  const Extents dy{7, 2}, x{7, 3}, w{3, 2}, b{2};
  const auto backward = [&](const Extents& dx, const Extents& dw, const Extents& db) {
    return nnreg::check_backward(dims(dy), dims(dy), dims(x), dims(w), dims(dx), dims(dw),
                                 dims(db), shape);
  };
  CHECK(backward(x, w, b).empty(), "valid backward rejected");
  CHECK(shape.n == 7 && shape.k == 3 && shape.m == 2, "wrong shape");
  CHECK(!backward({7, 2}, w, b).empty(), "wrong dx accepted");
  CHECK(!backward(x, {2, 3}, b).empty(), "wrong dW accepted");
  CHECK(!backward(x, w, {3}).empty(), "wrong db accepted");
}

}  // namespace

int main(int argc, char** argv) {
  return nnreg::testing::run_cases(
      {
          {"accepts_plain_and_batched_layers", accepts_plain_and_batched_layers},
          {"rejects_inconsistent_layers_naming_shapes", rejects_inconsistent_layers_naming_shapes},
          {"checks_every_backward_buffer", checks_every_backward_buffer},
      },
      argc, argv);
}
