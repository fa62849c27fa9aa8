// Validation of mlp_tanh's buffers: consistent batches pass, anything else is an error that
// names the widths and the shapes (the handlers return it to XLA instead of reading out of
// bounds).
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "check.h"
#include "common/mlp_shape.h"

namespace {

using nnreg::Dims;
using nnreg::MemberIndex;
using nnreg::MlpOperands;
using nnreg::MlpShape;
using nnreg::Widths;
using Extents = std::vector<int64_t>;

Dims dims(const Extents& extents) { return Dims{extents.data(), extents.size()}; }
Widths widths_of(const Extents& widths) { return Widths{widths.data(), widths.size()}; }

// A 2-member batch of 3 -> 4 -> 2 networks on 5 rows, x shared (extent 1); a member's
// parameters are (3 + 1) × 4 + (4 + 1) × 2 = 26 values.
struct Forward {
  Extents widths{3, 4, 2}, x{1, 5, 3}, params{2, 26}, y{2, 5, 2}, saved{2, 1, 4, 64};

  std::string check(MlpShape& shape, MlpOperands& operands) const {
    const Dims saved_dims = dims(saved);
    return nnreg::check_mlp_forward(dims(x), dims(params), widths_of(widths), dims(y),
                                    &saved_dims, shape, operands);
  }
};

// The backward of Forward's networks, with the parameters broadcast (extent 1).
struct Backward {
  Extents widths{3, 4, 2}, dy{2, 5, 2}, x{1, 5, 3}, saved{2, 1, 4, 64}, params{1, 26},
      dx{2, 5, 3}, grads{2, 26};

  std::string check(MlpShape& shape, MlpOperands& operands) const {
    return nnreg::check_mlp_backward(dims(dy), dims(x), dims(saved), dims(params),
                                     widths_of(widths), dims(dx), dims(grads), shape, operands);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Whether `problem` gives `reason` and names the widths and the buffers, as Forward breaks.
bool forward_fails_with(const std::string& problem, const std::string& reason) {
  return problem.rfind("mlp_tanh forward: " + reason, 0) == 0 && contains(problem, "widths(") &&
         contains(problem, "x(") && contains(problem, "params(") && contains(problem, "y(") &&
         contains(problem, "activations(");
}

void accepts_a_broadcast_batch() {
  MlpShape shape;
  MlpOperands operands;
  const std::string problem = Forward{}.check(shape, operands);
  CHECK(problem.empty(), "%s", problem.c_str());
  CHECK(shape.members == 2 && shape.n == 5 && shape.widths == Extents({3, 4, 2}) &&
            shape.hidden_total() == 4 && shape.layer_at(1) == 16 && shape.params_size() == 26,
        "shape read wrong");
  CHECK(operands.x.offset(1) == 0 && operands.params.offset(1) == 26, "offsets %lld %lld",
        static_cast<long long>(operands.x.offset(1)),
        static_cast<long long>(operands.params.offset(1)));
}

void accepts_the_limits() {
  Forward forward;  // 8 layers 64 wide
  forward.widths = Extents(nnreg::kMlpMaxLayers + 1, nnreg::kMlpMaxWidth);
  forward.x = {1, 5, 64};
  forward.params = {2, 8 * 65 * 64};
  forward.y = {2, 5, 64};
  forward.saved = {2, 1, 7 * 64, 64};
  MlpShape shape;
  MlpOperands operands;
  const std::string problem = forward.check(shape, operands);
  CHECK(problem.empty(), "%s", problem.c_str());
}

void rejects_inconsistent_buffers() {
  const std::vector<std::pair<const char*, void (*)(Forward&)>> breakages = {
      {"params do not hold 26 values a member", [](Forward& f) { f.params = {2, 25}; }},
      {"params do not hold 26 values a member", [](Forward& f) { f.params = {3, 26}; }},
      {"params do not hold 26 values a member", [](Forward& f) { f.params = {26}; }},
      {"y does not match", [](Forward& f) { f.y = {2, 5, 3}; }},
      {"x does not match", [](Forward& f) { f.x = {3, 5, 3}; }},
      {"x does not match", [](Forward& f) { f.x = {1, 5, 4}; }},
      {"activations do not match", [](Forward& f) { f.saved = {2, 1, 4, 5}; }},
      {"negative extent", [](Forward& f) { f.y = {2, -1, 2}; }},
      {"rank below 2", [](Forward& f) { f.y = {2}; }},
  };
  for (const auto& [reason, breaks] : breakages) {
    Forward forward;
    breaks(forward);
    MlpShape shape;
    MlpOperands operands;
    const std::string problem = forward.check(shape, operands);
    CHECK(forward_fails_with(problem, reason), "expected '%s', got '%s'", reason,
          problem.c_str());
  }
}

void rejects_widths_outside_the_limits() {
  const std::vector<std::pair<const char*, Extents>> cases = {
      {"no layers", {3}},
      {"no layers", {}},
      {"more than 8 layers", Extents(nnreg::kMlpMaxLayers + 2, 2)},
      {"widths must lie in 1..64", {3, 65, 2}},
      {"widths must lie in 1..64", {3, 0, 2}},
  };
  for (const auto& [reason, widths] : cases) {
    Forward forward;
    forward.widths = widths;
    MlpShape shape;
    MlpOperands operands;
    const std::string problem = forward.check(shape, operands);
    CHECK(forward_fails_with(problem, reason), "expected '%s', got '%s'", reason,
          problem.c_str());
  }
  Forward wide;
  wide.widths = {3, 65, 2};
  MlpShape shape;
  MlpOperands operands;
  const std::string problem = wide.check(shape, operands);
  CHECK(contains(problem, "widths(3, 65, 2)"), "%s", problem.c_str());
}

void checks_the_backward_outputs() {
  MlpShape shape;
  MlpOperands operands;
  const std::string fine = Backward{}.check(shape, operands);
  CHECK(fine.empty(), "%s", fine.c_str());
  CHECK(operands.params.offset(1) == 0 && operands.dy.offset(1) == 10, "offsets %lld %lld",
        static_cast<long long>(operands.params.offset(1)),
        static_cast<long long>(operands.dy.offset(1)));
  const std::vector<std::tuple<const char*, const char*, void (*)(Backward&)>> breakages = {
      {"params or grads do not hold 26 values a member", "grads(1, 26)",
       [](Backward& b) { b.grads = {1, 26}; }},
      {"params or grads do not hold 26 values a member", "params(1, 27)",
       [](Backward& b) { b.params = {1, 27}; }},
      {"rows do not match", "dy(2, 5, 3)", [](Backward& b) { b.dy = {2, 5, 3}; }},
      {"rows do not match", "activations(2, 2, 4, 64)",
       [](Backward& b) { b.saved = {2, 2, 4, 64}; }},
  };
  for (const auto& [reason, named, breaks] : breakages) {
    Backward backward;
    breaks(backward);
    const std::string problem = backward.check(shape, operands);
    CHECK(problem.rfind(std::string("mlp_tanh backward: ") + reason, 0) == 0 &&
              contains(problem, named) && contains(problem, "widths(3, 4, 2)") &&
              contains(problem, "dx(2, 5, 3)"),
          "expected '%s' naming %s, got '%s'", reason, named, problem.c_str());
  }
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
          {"accepts_the_limits", accepts_the_limits},
          {"rejects_inconsistent_buffers", rejects_inconsistent_buffers},
          {"rejects_widths_outside_the_limits", rejects_widths_outside_the_limits},
          {"checks_the_backward_outputs", checks_the_backward_outputs},
          {"member_index_broadcasts_per_dimension", member_index_broadcasts_per_dimension},
      },
      argc, argv);
}
