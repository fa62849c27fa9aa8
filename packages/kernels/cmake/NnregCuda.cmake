# NNREG_CUDA=AUTO|ON|OFF decides whether to build the _cuda module.
if(NOT NNREG_CUDA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "NNREG_CUDA must be AUTO, ON or OFF, not '${NNREG_CUDA}'")
endif()
if(NNREG_CUDA STREQUAL "OFF")
  message(STATUS "nnreg-kernels: CUDA handler disabled (NNREG_CUDA=OFF)")
  return()
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  if(NNREG_CUDA STREQUAL "ON")
    message(FATAL_ERROR
      "NNREG_CUDA=ON but no CUDA compiler was found: put nvcc on PATH or set CUDACXX, "
      "or configure with -DNNREG_CUDA=AUTO to build the CPU handler only.")
  endif()
  message(STATUS "nnreg-kernels: no CUDA compiler found, building the CPU handler only")
  return()
endif()

set(CMAKE_CUDA_ARCHITECTURES "${NNREG_CUDA_ARCHITECTURES}")
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
message(STATUS "nnreg-kernels: building the CUDA handler for ${CMAKE_CUDA_ARCHITECTURES}")

add_library(nnreg_kernels_cuda STATIC
  "${NNREG_CSRC}/cuda/dense_tanh_cuda.cu"
  "${NNREG_CSRC}/cuda/mlp_tanh_cuda.cu"
  "${NNREG_CSRC}/cuda/ffi_cuda.cc")
# The static CUDA runtime lets _cuda import on machines without libcudart; the driver
# library is only needed, and only loaded by the runtime, once a kernel launches.
target_link_libraries(nnreg_kernels_cuda PUBLIC
  nnreg_kernels_common nnreg_xla_ffi CUDA::cudart_static)
target_compile_features(nnreg_kernels_cuda PUBLIC cuda_std_17)
set_target_properties(nnreg_kernels_cuda PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_options(nnreg_kernels_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3>)
nnreg_warnings(nnreg_kernels_cuda)

nanobind_add_module(_cuda NOMINSIZE "${NNREG_CSRC}/cuda/module_cuda.cc")
string(REPLACE ";" "," nnreg_architectures_text "${CMAKE_CUDA_ARCHITECTURES}")
target_compile_definitions(_cuda PRIVATE
  NNREG_CUDA_ARCHITECTURES_BUILT="${nnreg_architectures_text}")
target_link_libraries(_cuda PRIVATE nnreg_kernels_cuda)
target_compile_options(_cuda PRIVATE $<$<CXX_COMPILER_ID:GNU,Clang>:-O3>)
nnreg_warnings(_cuda)
install(TARGETS _cuda LIBRARY DESTINATION nnreg/kernels)
