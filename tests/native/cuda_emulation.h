// Just enough of CUDA to run nnreg's kernels on the host: each CUDA thread is a std::thread,
// blocks run one after another (so __shared__ can be a function-local static), and
// __syncthreads is a barrier. Slow, but it executes the real kernel source, checking index
// arithmetic, bounds, splits and reductions on machines without a GPU. Include it before
// any header of csrc/cuda.
#pragma once

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __align__(bytes) __attribute__((aligned(bytes)))
#define __launch_bounds__(...)

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(16) float4 {
  float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline float __expf(float v) { return std::exp(v); }
inline float __fdividef(float a, float b) { return a / b; }

namespace nnreg::emulation {

inline thread_local dim3 thread_index, block_index, grid_dim, block_dim;
inline thread_local std::barrier<>* block_barrier = nullptr;

// Calls kernel() once per thread of every block of the grid.
template <class Kernel>
void launch(dim3 grid, unsigned threads, const Kernel& kernel) {
  for (unsigned z = 0; z < grid.z; ++z) {
    for (unsigned y = 0; y < grid.y; ++y) {
      for (unsigned x = 0; x < grid.x; ++x) {
        std::barrier<> barrier(threads);
        std::vector<std::thread> block;
        for (unsigned t = 0; t < threads; ++t) {
          block.emplace_back([&, t] {
            thread_index = dim3(t);
            block_index = dim3(x, y, z);
            grid_dim = grid;
            block_dim = dim3(threads);
            block_barrier = &barrier;
            kernel();
          });
        }
        for (std::thread& thread : block) thread.join();
      }
    }
  }
}

}  // namespace nnreg::emulation

#define threadIdx ::nnreg::emulation::thread_index
#define blockIdx ::nnreg::emulation::block_index
#define gridDim ::nnreg::emulation::grid_dim
#define blockDim ::nnreg::emulation::block_dim

inline void __syncthreads() { ::nnreg::emulation::block_barrier->arrive_and_wait(); }
