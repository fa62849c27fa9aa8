// The CPU FFI handlers, as C symbols for the Python module to wrap in capsules.
#pragma once

#include "xla/ffi/api/ffi.h"

XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregDenseTanhForwardCpu);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregDenseTanhBackwardCpu);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregMlpTanhForwardCpu);
XLA_FFI_DECLARE_HANDLER_SYMBOL(NnregMlpTanhBackwardCpu);
