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

// Collects the buffers of one call so that any failure names them. This runs on every
// kernel call, so it allocates nothing and names are spelled out only when a check fails.
class Checker {
 public:
  explicit Checker(const char* pass) : pass_(pass) {}

  // The buffer `name` (followed by `index` when it is not negative) has extents `dims`.
  void add(const char* name, Dims dims, int64_t index = -1) {
    if (count_ < kNamed) buffers_[count_] = {name, index, dims};
    ++count_;
  }

  std::string fail(const std::string& why) const {
    std::string text = std::string("mlp_tanh ") + pass_ + ": " + why + " in ";
    for (size_t i = 0; i < std::min(count_, kNamed); ++i) {
      const Named& buffer = buffers_[i];
      const std::string name =
          buffer.name + (buffer.index < 0 ? std::string() : std::to_string(buffer.index));
      text += (i ? ", " : "") + describe(name, buffer.dims);
    }
    if (count_ > kNamed) text += " and " + std::to_string(count_ - kNamed) + " more";
    return text;
  }

 private:
  struct Named {
    const char* name;
    int64_t index;
    Dims dims;
  };
  // Every buffer of a call within the layer limit: a backward's 4 plus 3 per layer.
  static constexpr size_t kNamed = 4 + 3 * kMlpMaxLayers;
  const char* pass_;
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

// Reads the widths from the weights and checks that consecutive layers chain.
std::string read_widths(const std::vector<Dims>& w, size_t batch_rank, const Checker& checker,
                        MlpShape& shape) {
  if (w.empty()) return checker.fail("no layers");
  if (static_cast<int64_t>(w.size()) > kMlpMaxLayers) {
    return checker.fail("more than " + std::to_string(kMlpMaxLayers) + " layers");
  }
  shape.widths.clear();
  shape.widths.reserve(w.size() + 1);
  for (size_t l = 0; l < w.size(); ++l) {
    if (w[l].rank != batch_rank + 2) return checker.fail("W" + std::to_string(l) + " rank");
    const int64_t fan_in = w[l].data[batch_rank], fan_out = w[l].data[batch_rank + 1];
    if (l == 0) shape.widths.push_back(fan_in);
    if (fan_in != shape.widths.back()) {
      return checker.fail("layer " + std::to_string(l) + " does not chain");
    }
    shape.widths.push_back(fan_out);
  }
  for (int64_t width : shape.widths) {
    if (width < 1 || width > kMlpMaxWidth) {
      return checker.fail("widths must lie in 1.." + std::to_string(kMlpMaxWidth));
    }
  }
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

std::string check_mlp_forward(Dims x, const std::vector<Dims>& w, const std::vector<Dims>& b,
                              Dims y, const Dims* activations, MlpShape& shape,
                              MlpOperands& operands) {
  Checker checker("forward");
  checker.add("x", x);
  for (size_t l = 0; l < w.size(); ++l) checker.add("W", w[l], l);
  for (size_t l = 0; l < b.size(); ++l) checker.add("b", b[l], l);
  checker.add("y", y);
  if (activations) checker.add("activations", *activations);
  if (auto problem = read_rows(y, checker, shape); !problem.empty()) return problem;
  if (auto problem = read_widths(w, shape.batch_dims.size(), checker, shape); !problem.empty()) {
    return problem;
  }
  if (b.size() != w.size()) return checker.fail("one bias per layer expected");
  const int64_t layers = shape.layers();
  operands.w.resize(layers);
  operands.b.resize(layers);
  for (int64_t l = 0; l < layers; ++l) {
    if (!input(w[l], {shape.widths[l], shape.widths[l + 1]}, shape, operands.w[l]) ||
        !input(b[l], {shape.widths[l + 1]}, shape, operands.b[l])) {
      return checker.fail("layer " + std::to_string(l) + " does not match the outputs");
    }
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

std::string check_mlp_backward(Dims dy, Dims x, Dims activations, const std::vector<Dims>& w,
                               Dims dx, const std::vector<Dims>& dw,
                               const std::vector<Dims>& db, MlpShape& shape,
                               MlpOperands& operands) {
  Checker checker("backward");
  checker.add("dy", dy);
  checker.add("x", x);
  checker.add("activations", activations);
  for (size_t l = 0; l < w.size(); ++l) checker.add("W", w[l], l);
  checker.add("dx", dx);
  for (size_t l = 0; l < dw.size(); ++l) checker.add("dW", dw[l], l);
  for (size_t l = 0; l < db.size(); ++l) checker.add("db", db[l], l);
  if (auto problem = read_rows(dx, checker, shape); !problem.empty()) return problem;
  if (auto problem = read_widths(w, shape.batch_dims.size(), checker, shape); !problem.empty()) {
    return problem;
  }
  const int64_t layers = shape.layers();
  if (static_cast<int64_t>(dw.size()) != layers || static_cast<int64_t>(db.size()) != layers) {
    return checker.fail("one dW and db per layer expected");
  }
  operands.w.resize(layers);
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t fan_in = shape.widths[l], fan_out = shape.widths[l + 1];
    if (!input(w[l], {fan_in, fan_out}, shape, operands.w[l]) ||
        !output(dw[l], {fan_in, fan_out}, shape) || !output(db[l], {fan_out}, shape)) {
      return checker.fail("layer " + std::to_string(l) + " does not match the outputs");
    }
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
