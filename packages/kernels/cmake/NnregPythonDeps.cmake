# Python, nanobind and the XLA FFI headers shipped with jaxlib (jax.ffi.include_dir()).
find_package(Python 3.10 REQUIRED COMPONENTS Interpreter Development.Module)

execute_process(
  COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
  OUTPUT_VARIABLE nanobind_ROOT OUTPUT_STRIP_TRAILING_WHITESPACE
  COMMAND_ERROR_IS_FATAL ANY)
find_package(nanobind CONFIG REQUIRED)

execute_process(
  COMMAND "${Python_EXECUTABLE}" -c "import jax.ffi; print(jax.ffi.include_dir())"
  OUTPUT_VARIABLE NNREG_XLA_FFI_INCLUDE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE
  COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "nnreg-kernels: XLA FFI headers in ${NNREG_XLA_FFI_INCLUDE_DIR}")

add_library(nnreg_xla_ffi INTERFACE)
target_include_directories(nnreg_xla_ffi SYSTEM INTERFACE "${NNREG_XLA_FFI_INCLUDE_DIR}")
target_compile_features(nnreg_xla_ffi INTERFACE cxx_std_17)
