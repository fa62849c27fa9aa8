// Host entry points of mlp_tanh's CUDA kernels: enqueue the work of one FFI call on `stream`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "common/mlp_ffi_buffers.h"
#include "xla/ffi/api/ffi.h"

namespace nnreg::cuda {

xla::ffi::Error launch_mlp_forward(cudaStream_t stream, const MlpForwardBuffers& buffers);

// Device scratch that launch_mlp_backward needs for its partial weight gradients.
size_t mlp_backward_scratch_bytes(const MlpShape& shape);

xla::ffi::Error launch_mlp_backward(cudaStream_t stream, const MlpBackwardBuffers& buffers,
                                    float* scratch);

}  // namespace nnreg::cuda
