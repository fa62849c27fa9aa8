# nnreg_warnings(<target>): strict warnings for nnreg's own C++ (and CUDA) sources.
function(nnreg_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
      $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${NNREG_WARNINGS_AS_ERRORS}>>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
      $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${NNREG_WARNINGS_AS_ERRORS}>>:-Werror=all-warnings>)
  endif()
endfunction()
