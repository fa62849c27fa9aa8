// Runs the launch plans on the CUDA stream XLA hands the FFI handlers.
#include <cuda_runtime.h>

#include "cuda/check_cuda.h"
#include "cuda/dense_problems.cuh"
#include "cuda/dense_tanh_cuda.h"
#include "cuda/launch_plan.cuh"
#include "cuda/tiled_product.cuh"

namespace nnreg::cuda {
namespace {

class StreamLauncher {
 public:
  explicit StreamLauncher(cudaStream_t stream) : stream_(stream) {}

  template <int BM, int BN, int TM, int TN, class Problem>
  xla::ffi::Error product(const Problem& problem, dim3 grid, int col_tiles, int split_depth) {
    tiled_product<BM, BN, TM, TN, Problem>
        <<<grid, TileShape<BM, BN, TM, TN>::kThreads, 0, stream_>>>(problem, col_tiles,
                                                                    split_depth);
    CHECK_CUDA(cudaGetLastError());
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error sum_partials(unsigned blocks, unsigned threads, const float* partials,
                               int64_t layers, int64_t splits, int64_t k, int64_t m, float* dw,
                               float* db) {
    cuda::sum_partials<<<blocks, threads, 0, stream_>>>(partials, layers, splits, k, m, dw, db);
    CHECK_CUDA(cudaGetLastError());
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error zero(float* data, size_t bytes) {
    if (bytes > 0) CHECK_CUDA(cudaMemsetAsync(data, 0, bytes, stream_));
    return xla::ffi::Error::Success();
  }

 private:
  cudaStream_t stream_;
};

}  // namespace

xla::ffi::Error launch_forward(cudaStream_t stream, const DenseShape& shape, const float* x,
                               const float* w, const float* b, float* y) {
  StreamLauncher launcher(stream);
  return plan_forward(launcher, shape, x, w, b, y);
}

size_t backward_scratch_bytes(const DenseShape& shape) {
  return backward_scratch_floats(shape) * sizeof(float);
}

xla::ffi::Error launch_backward(cudaStream_t stream, const DenseShape& shape, const float* dy,
                                const float* y, const float* x, const float* w, float* dx,
                                float* dw, float* db, float* scratch) {
  StreamLauncher launcher(stream);
  return plan_backward(launcher, shape, dy, y, x, w, dx, dw, db, scratch);
}

}  // namespace nnreg::cuda
