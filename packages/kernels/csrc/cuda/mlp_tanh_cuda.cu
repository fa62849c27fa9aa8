// Runs mlp_tanh's launch plans on the CUDA stream XLA hands the FFI handlers.
#include <cuda_runtime.h>

#include "cuda/check_cuda.h"
#include "cuda/mlp_kernels.cuh"
#include "cuda/mlp_plan.cuh"
#include "cuda/mlp_tanh_cuda.h"

namespace nnreg::cuda {
namespace {

class MlpStreamLauncher {
 public:
  explicit MlpStreamLauncher(cudaStream_t stream) : stream_(stream) {}

  xla::ffi::Error forward(dim3 grid, const MlpParams& params) {
    mlp_forward_kernel<<<grid, kMlpThreads, 0, stream_>>>(params);
    CHECK_CUDA(cudaGetLastError());
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error backward(dim3 grid, const MlpParams& params) {
    mlp_backward_kernel<<<grid, kMlpThreads, 0, stream_>>>(params);
    CHECK_CUDA(cudaGetLastError());
    return xla::ffi::Error::Success();
  }

  xla::ffi::Error sum_partials(unsigned blocks, unsigned threads, const MlpParams& params) {
    mlp_sum_partials<<<blocks, threads, 0, stream_>>>(params);
    CHECK_CUDA(cudaGetLastError());
    return xla::ffi::Error::Success();
  }

 private:
  cudaStream_t stream_;
};

}  // namespace

xla::ffi::Error launch_mlp_forward(cudaStream_t stream, const MlpForwardBuffers& buffers) {
  MlpStreamLauncher launcher(stream);
  return plan_mlp_forward(launcher, buffers);
}

size_t mlp_backward_scratch_bytes(const MlpShape& shape) {
  return mlp_backward_scratch_floats(shape) * sizeof(float);
}

xla::ffi::Error launch_mlp_backward(cudaStream_t stream, const MlpBackwardBuffers& buffers,
                                    float* scratch) {
  MlpStreamLauncher launcher(stream);
  return plan_mlp_backward(launcher, buffers, scratch);
}

}  // namespace nnreg::cuda
