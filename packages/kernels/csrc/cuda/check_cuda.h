// CHECK_CUDA: the one way nnreg's CUDA code checks a CUDA runtime call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "xla/ffi/api/ffi.h"

namespace nnreg::cuda {

inline xla::ffi::Error cuda_failure(cudaError_t status, const char* call, const char* file,
                                    int line) {
  return xla::ffi::Error::Internal(std::string("dense_tanh: ") + call + " failed at " + file +
                                   ":" + std::to_string(line) + ": " + cudaGetErrorName(status) +
                                   " (" + cudaGetErrorString(status) + ")");
}

}  // namespace nnreg::cuda

// Evaluates a cudaError_t expression; on failure, returns an ffi::Error naming the call from
// the enclosing function (which must return xla::ffi::Error).
#define CHECK_CUDA(expression)                                                        \
  do {                                                                                \
    const cudaError_t nnreg_cuda_status = (expression);                               \
    if (nnreg_cuda_status != cudaSuccess) {                                           \
      return ::nnreg::cuda::cuda_failure(nnreg_cuda_status, #expression, __FILE__, __LINE__); \
    }                                                                                 \
  } while (0)
