"""Strict JAX for every test: silent rank promotion and stray warnings are bugs."""

import jax

# Broadcasting (n,) against (n, 1) is the classic silent bug in regression code.
jax.config.update("jax_numpy_rank_promotion", "raise")
