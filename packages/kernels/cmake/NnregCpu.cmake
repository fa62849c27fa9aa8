# The CPU kernels (a static library the native tests share) and the _cpu module.
find_package(Threads REQUIRED)
set(NNREG_CSRC "${CMAKE_CURRENT_LIST_DIR}/../csrc")

# Shape validation shared by the CPU and CUDA handlers.
add_library(nnreg_kernels_common STATIC
  "${NNREG_CSRC}/common/dense_shape.cc"
  "${NNREG_CSRC}/common/mlp_shape.cc")
target_include_directories(nnreg_kernels_common PUBLIC "${NNREG_CSRC}")
target_compile_features(nnreg_kernels_common PUBLIC cxx_std_17)
set_target_properties(nnreg_kernels_common PROPERTIES POSITION_INDEPENDENT_CODE ON)
nnreg_warnings(nnreg_kernels_common)

add_library(nnreg_kernels_cpu STATIC
  "${NNREG_CSRC}/cpu/dense_tanh_cpu.cc"
  "${NNREG_CSRC}/cpu/isa_variants.cc"
  "${NNREG_CSRC}/cpu/mlp_tanh_cpu.cc"
  "${NNREG_CSRC}/cpu/mlp_isa_variants.cc")
target_link_libraries(nnreg_kernels_cpu PUBLIC nnreg_kernels_common Threads::Threads)
set_target_properties(nnreg_kernels_cpu PROPERTIES POSITION_INDEPENDENT_CODE ON)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  # FMA contraction is what the tiles are for; without trapping math GCC vectorises the
  # branch-free clamp in fast_tanh.
  target_compile_options(nnreg_kernels_cpu PRIVATE -O3 -ffp-contract=fast -fno-trapping-math)
endif()
nnreg_warnings(nnreg_kernels_cpu)

# NOMINSIZE: nanobind would otherwise compile the module with -Os.
nanobind_add_module(_cpu NOMINSIZE
  "${NNREG_CSRC}/cpu/module_cpu.cc"
  "${NNREG_CSRC}/cpu/ffi_cpu.cc")
target_link_libraries(_cpu PRIVATE nnreg_kernels_cpu nnreg_xla_ffi)
target_compile_options(_cpu PRIVATE $<$<CXX_COMPILER_ID:GNU,Clang>:-O3>)
nnreg_warnings(_cpu)
install(TARGETS _cpu LIBRARY DESTINATION nnreg/kernels)
