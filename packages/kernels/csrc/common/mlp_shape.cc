#include "common/mlp_shape.h"

#include <algorithm>
#include <cstddef>
#include <initializer_list>

namespace nnreg {
namespace {

using Extents = std::vector<int64_t>;
using Tail = std::initializer_list<int64_t>;

std::string describe(const std::string& name, Dims dims) {
  std::string text = name + "(";
  for (size_t i = 0; i < dims.rank; ++i) {
    text += (i ? ", " : "") + std::to_string(dims.data[i]);
  }
  return text + ")";
}

// Collects the widths and buffers of one call so that any failure names them. This runs on
// every kernel call, so it allocates nothing and names are spelled out only when a check
// fails.
class Checker {
 public:
  Checker(const char* pass, Widths widths) : pass_(pass), widths_(widths) {}

  void add(const char* name, Dims dims) {
    if (count_ < kNamed) buffers_[count_] = {name, dims};
    ++count_;
  }

  std::string fail(const std::string& why) const {
    std::string text = std::string("mlp_tanh ") + pass_ + ": " + why + " in " +
                       describe("widths", Dims{widths_.data, widths_.count});
    for (size_t i = 0; i < std::min(count_, kNamed); ++i) {
      text += ", " + describe(buffers_[i].name, buffers_[i].dims);
    }
    return text;
  }

 private:
  struct Named {
    const char* name;
    Dims dims;
  };
  static constexpr size_t kNamed = 6;  // a backward's buffers
  const char* pass_;
  Widths widths_;
  Named buffers_[kNamed] = {};
  size_t count_ = 0;
};

// Whether `dims` is `batch_rank` batch dims followed by `tail`; the batch dims are then
// dims.data[0, batch_rank).
bool ends_with(Dims dims, size_t batch_rank, Tail tail) {
  if (dims.rank != batch_rank + tail.size()) return false;
  return std::equal(tail.begin(), tail.end(), dims.data + batch_rank);
}

// An input may broadcast (extent 1) over any batch dimension of the outputs.
bool broadcasts_to(const int64_t* lead, const Extents& batch_dims) {
  for (size_t i = 0; i < batch_dims.size(); ++i) {
    if (lead[i] != batch_dims[i] && lead[i] != 1) return false;
  }
  return true;
}

template <class Values>
int64_t product(const Values& values) {
  int64_t result = 1;
  for (int64_t v : values) result *= v;
  return result;
}

// Reads the widths from the attribute: 1..kMlpMaxLayers layers, each width in 1..kMlpMaxWidth.
std::string read_widths(Widths widths, const Checker& checker, MlpShape& shape) {
  if (widths.count < 2) return checker.fail("no layers");
  if (static_cast<int64_t>(widths.count) - 1 > kMlpMaxLayers) {
    return checker.fail("more than " + std::to_string(kMlpMaxLayers) + " layers");
  }
  for (size_t i = 0; i < widths.count; ++i) {
    if (widths.data[i] < 1 || widths.data[i] > kMlpMaxWidth) {
      return checker.fail("widths must lie in 1.." + std::to_string(kMlpMaxWidth));
    }
  }
  shape.widths.assign(widths.data, widths.data + widths.count);
  return "";
}

// Checks one input operand against its trailing extents; fills its member index.
bool input(Dims dims, Tail tail, const MlpShape& shape, MemberIndex& index) {
  const size_t batch_rank = shape.batch_dims.size();
  if (!ends_with(dims, batch_rank, tail) || !broadcasts_to(dims.data, shape.batch_dims)) {
    return false;
  }
  index.assign(shape.batch_dims, dims.data, product(tail));
  return true;
}

bool output(Dims dims, Tail tail, const MlpShape& shape) {
  return ends_with(dims, shape.batch_dims.size(), tail) &&
         std::equal(shape.batch_dims.begin(), shape.batch_dims.end(), dims.data);
}

// Reads batch dims and n from a (..., n, columns) output; checks every extent is >= 0.
std::string read_rows(Dims rows_buffer, const Checker& checker, MlpShape& shape) {
  if (rows_buffer.rank < 2) return checker.fail("rank below 2");
  for (size_t i = 0; i < rows_buffer.rank; ++i) {
    if (rows_buffer.data[i] < 0) return checker.fail("negative extent");
  }
  shape.batch_dims.assign(rows_buffer.data, rows_buffer.data + rows_buffer.rank - 2);
  shape.members = product(shape.batch_dims);
  shape.n = rows_buffer.data[rows_buffer.rank - 2];
  return "";
}

}  // namespace

MemberIndex::MemberIndex(const std::vector<int64_t>& batch_dims, const std::vector<int64_t>& own,
                         int64_t block) {
  assign(batch_dims, own.data(), block);
}

void MemberIndex::assign(const std::vector<int64_t>& batch_dims, const int64_t* own,
                         int64_t block) {
  batch_dims_.assign(batch_dims.begin(), batch_dims.end());
  strides_.resize(batch_dims.size());
  int64_t stride = block;
  for (size_t i = batch_dims.size(); i-- > 0;) {
    strides_[i] = own[i] == 1 ? 0 : stride;
    stride *= own[i];
  }
}

int64_t MemberIndex::offset(int64_t member) const {
  int64_t result = 0;
  for (size_t i = batch_dims_.size(); i-- > 0;) {
    result += member % batch_dims_[i] * strides_[i];
    member /= batch_dims_[i];
  }
  return result;
}

int64_t MlpShape::hidden_total() const {
  int64_t total = 0;
  for (size_t l = 1; l + 1 < widths.size(); ++l) total += widths[l];
  return total;
}

int64_t MlpShape::layer_at(int64_t l) const {
  int64_t at = 0;
  for (int64_t i = 0; i < l; ++i) at += (widths[i] + 1) * widths[i + 1];
  return at;
}

std::string check_mlp_forward(Dims x, Dims params, Widths widths, Dims y, const Dims* activations,
                              MlpShape& shape, MlpOperands& operands) {
  Checker checker("forward", widths);
  checker.add("x", x);
  checker.add("params", params);
  checker.add("y", y);
  if (activations) checker.add("activations", *activations);
  if (auto problem = read_rows(y, checker, shape); !problem.empty()) return problem;
  if (auto problem = read_widths(widths, checker, shape); !problem.empty()) return problem;
  if (!input(params, {shape.params_size()}, shape, operands.params)) {
    return checker.fail("params do not hold " + std::to_string(shape.params_size()) +
                        " values a member");
  }
  if (!input(x, {shape.n, shape.inputs()}, shape, operands.x)) {
    return checker.fail("x does not match");
  }
  if (!output(y, {shape.n, shape.outputs()}, shape)) return checker.fail("y does not match");
  if (activations &&
      !output(*activations, {shape.row_blocks(), shape.hidden_total(), kMlpRowBlock}, shape)) {
    return checker.fail("activations do not match");
  }
  return "";
}

std::string check_mlp_backward(Dims dy, Dims x, Dims activations, Dims params, Widths widths,
                               Dims dx, Dims grads, MlpShape& shape, MlpOperands& operands) {
  Checker checker("backward", widths);
  checker.add("dy", dy);
  checker.add("x", x);
  checker.add("activations", activations);
  checker.add("params", params);
  checker.add("dx", dx);
  checker.add("grads", grads);
  if (auto problem = read_rows(dx, checker, shape); !problem.empty()) return problem;
  if (auto problem = read_widths(widths, checker, shape); !problem.empty()) return problem;
  if (!input(params, {shape.params_size()}, shape, operands.params) ||
      !output(grads, {shape.params_size()}, shape)) {
    return checker.fail("params or grads do not hold " + std::to_string(shape.params_size()) +
                        " values a member");
  }
  if (!output(dx, {shape.n, shape.inputs()}, shape) ||
      !input(x, {shape.n, shape.inputs()}, shape, operands.x) ||
      !input(dy, {shape.n, shape.outputs()}, shape, operands.dy) ||
      !input(activations, {shape.row_blocks(), shape.hidden_total(), kMlpRowBlock}, shape,
             operands.activations)) {
    return checker.fail("rows do not match");
  }
  return "";
}

}  // namespace nnreg
