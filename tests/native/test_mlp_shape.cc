// Validation of mlp_tanh's buffers: consistent batches pass, anything else is an error that
// names the shapes (the handlers return it to XLA instead of reading out of bounds).
#include <string>
#include <vector>

#include "check.h"
#include "common/mlp_shape.h"

namespace {

using nnreg::Dims;
using nnreg::MemberIndex;
using nnreg::MlpOperands;
using nnreg::MlpShape;
using Extents = std::vector<int64_t>;

Dims dims(const Extents& extents) { return Dims{extents.data(), extents.size()}; }

// A 2-member batch of 3 -> 4 -> 2 networks on 5 rows, x shared (extent 1).
struct Forward {
  Extents x{1, 5, 3}, w0{2, 3, 4}, w1{2, 4, 2}, b0{2, 4}, b1{2, 2}, y{2, 5, 2}, saved{2, 1, 4, 64};

  std::string check(MlpShape& shape, MlpOperands& operands) const {
    const Dims saved_dims = dims(saved);
    return nnreg::check_mlp_forward(dims(x), {dims(w0), dims(w1)}, {dims(b0), dims(b1)},
                                    dims(y), &saved_dims, shape, operands);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void accepts_a_broadcast_batch() {
  MlpShape shape;
  MlpOperands operands;
  const std::string problem = Forward{}.check(shape, operands);
  CHECK(problem.empty(), "%s", problem.c_str());
  CHECK(shape.members == 2 && shape.n == 5 && shape.widths == Extents({3, 4, 2}) &&
            shape.hidden_total() == 4,
        "shape read wrong");
  CHECK(operands.x.offset(1) == 0 && operands.w[1].offset(1) == 8, "offsets %lld %lld",
        static_cast<long long>(operands.x.offset(1)),
        static_cast<long long>(operands.w[1].offset(1)));
}

void rejects_inconsistent_buffers() {
  const std::vector<std::pair<const char*, void (*)(Forward&)>> breakages = {
      {"does not chain", [](Forward& f) { f.w1 = {2, 5, 2}; }},
      {"y does not match", [](Forward& f) { f.y = {2, 5, 3}; }},
      {"layer 0 does not match", [](Forward& f) { f.b0 = {2, 3}; }},
      {"x does not match", [](Forward& f) { f.x = {3, 5, 3}; }},
      {"activations", [](Forward& f) { f.saved = {2, 1, 4, 5}; }},
      {"widths must lie", [](Forward& f) { f.w0 = {2, 3, 65}, f.w1 = {2, 65, 2}, f.b0 = {2, 65}; }},
      {"negative extent", [](Forward& f) { f.y = {2, -1, 2}; }},
      {"rank", [](Forward& f) { f.w0 = {3, 4}; }},
  };
  for (const auto& [expected, breaks] : breakages) {
    Forward forward;
    breaks(forward);
    MlpShape shape;
    MlpOperands operands;
    const std::string problem = forward.check(shape, operands);
    CHECK(contains(problem, expected) && contains(problem, "x(") && contains(problem, "W1("),
          "expected '%s', got '%s'", expected, problem.c_str());
  }
}

void rejects_too_many_layers_and_none() {
  const Extents x{4, 2}, w{2, 2}, b{2}, y{4, 2};
  MlpShape shape;
  MlpOperands operands;
  const std::string none =
      nnreg::check_mlp_forward(dims(x), {}, {}, dims(y), nullptr, shape, operands);
  CHECK(contains(none, "no layers"), "%s", none.c_str());
  const std::vector<Dims> layers(nnreg::kMlpMaxLayers + 1, dims(w));
  const std::vector<Dims> biases(nnreg::kMlpMaxLayers + 1, dims(b));
  const std::string deep =
      nnreg::check_mlp_forward(dims(x), layers, biases, dims(y), nullptr, shape, operands);
  CHECK(contains(deep, "more than 8 layers"), "%s", deep.c_str());
}

void checks_the_backward_outputs() {
  const Extents dy{2, 5, 2}, x{1, 5, 3}, saved{2, 1, 4, 64}, w0{2, 3, 4}, w1{1, 4, 2}, dx{2, 5, 3},
      dw0{2, 3, 4}, dw1{2, 4, 2}, db0{2, 4}, db1{2, 2}, bad_db1{1, 2};
  MlpShape shape;
  MlpOperands operands;
  const std::string fine = nnreg::check_mlp_backward(
      dims(dy), dims(x), dims(saved), {dims(w0), dims(w1)}, dims(dx), {dims(dw0), dims(dw1)},
      {dims(db0), dims(db1)}, shape, operands);
  CHECK(fine.empty(), "%s", fine.c_str());
  const std::string broadcast_output = nnreg::check_mlp_backward(
      dims(dy), dims(x), dims(saved), {dims(w0), dims(w1)}, dims(dx), {dims(dw0), dims(dw1)},
      {dims(db0), dims(bad_db1)}, shape, operands);
  CHECK(contains(broadcast_output, "layer 1 does not match") &&
            contains(broadcast_output, "db1(1, 2)"),
        "%s", broadcast_output.c_str());
}

void member_index_broadcasts_per_dimension() {
  // Nested vmap: outputs (2, 3); operand broadcast over the first, batched over the second.
  const MemberIndex index({2, 3}, {1, 3}, 10);
  CHECK(index.offset(0) == 0 && index.offset(2) == 20 && index.offset(3) == 0 &&
            index.offset(5) == 20,
        "offsets %lld %lld %lld", static_cast<long long>(index.offset(2)),
        static_cast<long long>(index.offset(3)), static_cast<long long>(index.offset(5)));
}

}  // namespace

int main(int argc, char** argv) {
  return nnreg::testing::run_cases(
      {
          {"accepts_a_broadcast_batch", accepts_a_broadcast_batch},
          {"rejects_inconsistent_buffers", rejects_inconsistent_buffers},
          {"rejects_too_many_layers_and_none", rejects_too_many_layers_and_none},
          {"checks_the_backward_outputs", checks_the_backward_outputs},
          {"member_index_broadcasts_per_dimension", member_index_broadcasts_per_dimension},
      },
      argc, argv);
}
