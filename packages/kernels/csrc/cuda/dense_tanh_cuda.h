// Host entry points of the CUDA kernels: enqueue the work of one FFI call on `stream`.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "common/dense_shape.h"
#include "xla/ffi/api/ffi.h"

namespace nnreg::cuda {

// y = tanh(x W + b) for every layer of the batch.
xla::ffi::Error launch_forward(cudaStream_t stream, const DenseShape& shape, const float* x,
                               const float* w, const float* b, float* y);

// Device scratch that launch_backward needs for its partial dW and db sums.
size_t backward_scratch_bytes(const DenseShape& shape);

// dz = dy (1 - y²); dx = dz Wᵀ; dW = xᵀ dz; db = column sums of dz.
xla::ffi::Error launch_backward(cudaStream_t stream, const DenseShape& shape, const float* dy,
                                const float* y, const float* x, const float* w, float* dx,
                                float* dw, float* db, float* scratch);

}  // namespace nnreg::cuda
