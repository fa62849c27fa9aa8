// Forced inlining: the templated kernels must be inlined into each instruction-set variant
// (see isa_variants.cc) so that they are compiled for that variant's vector width.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define NNREG_INLINE inline __attribute__((always_inline))
#else
#define NNREG_INLINE inline
#endif
