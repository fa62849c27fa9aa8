// The CUDA FFI handlers, as C symbols for the Python module to wrap in capsules.
#pragma once

#include "xla/ffi/api/ffi.h"

XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregDenseTanhForwardCuda);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregDenseTanhBackwardCuda);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregMlpTanhForwardCuda);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregMlpTanhBackwardCuda);
