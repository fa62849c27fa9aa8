#include "common/dense_shape.h"

#include <utility>
#include <vector>

namespace nnreg {
namespace {

using Extents = std::vector<int64_t>;

struct Named {
  const char* name;
  Dims dims;
};

// Trailing extents of a buffer, after the batch dimensions.
enum class Layout { kNM, kNK, kKM, kM };

std::string describe(const Named& buffer) {
  std::string text = std::string(buffer.name) + "(";
  for (size_t i = 0; i < buffer.dims.rank; ++i) {
    text += (i ? ", " : "") + std::to_string(buffer.dims.data[i]);
  }
  return text + ")";
}

std::string describe_all(std::initializer_list<Named> buffers) {
  std::string text;
  for (const Named& buffer : buffers) text += (text.empty() ? "" : ", ") + describe(buffer);
  return text;
}

bool equals(Dims dims, const Extents& want) {
  if (dims.rank != want.size()) return false;
  for (size_t i = 0; i < dims.rank; ++i) {
    if (dims.data[i] != want[i]) return false;
  }
  return true;
}

Extents with_tail(Extents batch_dims, std::initializer_list<int64_t> tail) {
  batch_dims.insert(batch_dims.end(), tail);
  return batch_dims;
}

// Reads batch dims, n and k from x and m from W; checks that the rest follows from them.
std::string check(const Named& x, const Named& w, std::initializer_list<std::pair<Named, Layout>> rest,
                  std::initializer_list<Named> all, DenseShape& shape) {
  const auto fail = [&] { return "dense_tanh: inconsistent shapes " + describe_all(all); };
  if (x.dims.rank < 2 || w.dims.rank != x.dims.rank) return fail();
  for (size_t i = 0; i < x.dims.rank; ++i) {
    if (x.dims.data[i] < 0 || w.dims.data[i] < 0) return fail();
  }
  const Extents batch_dims(x.dims.data, x.dims.data + x.dims.rank - 2);
  const int64_t n = x.dims.data[x.dims.rank - 2];
  const int64_t k = x.dims.data[x.dims.rank - 1];
  const int64_t m = w.dims.data[w.dims.rank - 1];
  if (!equals(w.dims, with_tail(batch_dims, {k, m}))) return fail();
  for (const auto& [buffer, layout] : rest) {
    const Extents want = layout == Layout::kNM   ? with_tail(batch_dims, {n, m})
                         : layout == Layout::kNK ? with_tail(batch_dims, {n, k})
                         : layout == Layout::kKM ? with_tail(batch_dims, {k, m})
                                                 : with_tail(batch_dims, {m});
    if (!equals(buffer.dims, want)) return fail();
  }
  int64_t batch = 1;
  for (int64_t extent : batch_dims) batch *= extent;
  shape = DenseShape{batch, n, k, m};
  return "";
}

}  // namespace

std::string check_forward(Dims x, Dims w, Dims b, Dims y, DenseShape& shape) {
  const Named nx{"x", x}, nw{"W", w}, nb{"b", b}, ny{"y", y};
  return check(nx, nw, {{nb, Layout::kM}, {ny, Layout::kNM}}, {nx, nw, nb, ny}, shape);
}

std::string check_backward(Dims dy, Dims y, Dims x, Dims w, Dims dx, Dims dw, Dims db,
                           DenseShape& shape) {
  const Named ndy{"dy", dy}, ny{"y", y}, nx{"x", x}, nw{"W", w}, ndx{"dx", dx}, ndw{"dW", dw},
      ndb{"db", db};
  return check(nx, nw, {{ndy, Layout::kNM},
                {ny, Layout::kNM},
                {ndx, Layout::kNK},
                {ndw, Layout::kKM},
                {ndb, Layout::kM}},
               {ndy, ny, nx, nw, ndx, ndw, ndb}, shape);
}

}  // namespace nnreg
