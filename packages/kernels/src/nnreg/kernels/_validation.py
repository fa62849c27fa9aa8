"""Trace-time checks of dense_tanh's inputs, with errors that name every shape, and of which
shapes each native kernel can take."""

import jax
import jax.numpy as jnp

# The CUDA kernels index within one layer with 32-bit ints (csrc/cuda/launch_plan.cuh).
_INT32_MAX = 2**31 - 1


def prepare(caller: str, x, W, b) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Check x (n, k), W (k, m), b (m,) or (1, m); return them in their common floating dtype,
    with b as (m,).

    Raises TypeError for non-floating inputs and ValueError for inconsistent shapes.
    """
    arrays = {name: _as_array(caller, name, v) for name, v in (("x", x), ("W", W), ("b", b))}
    x, W, b = arrays.values()
    described = f"x{x.shape}, W{W.shape}, b{b.shape}"
    for name, array in arrays.items():
        if not jnp.issubdtype(array.dtype, jnp.floating):
            raise TypeError(
                f"{caller}: {name} must be a real floating array, got dtype {array.dtype} "
                f"(inputs {described})"
            )
    if x.ndim != 2 or W.ndim != 2:
        raise ValueError(f"{caller}: expected x (n, k) and W (k, m), got {described}")
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{caller}: x columns ({x.shape[1]}) differ from W rows ({W.shape[0]}) in {described}"
        )
    m = W.shape[1]
    if b.shape not in ((m,), (1, m)):
        raise ValueError(f"{caller}: expected b of shape ({m},) or (1, {m}), got {described}")
    dtype = jnp.result_type(x, W, b)
    return x.astype(dtype), W.astype(dtype), b.reshape(m).astype(dtype)


def _as_array(caller: str, name: str, value) -> jax.Array:
    try:
        return jnp.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{caller}: {name} is not an array ({error})") from error


def fits_cuda_kernel(n: int, k: int, m: int) -> bool:
    """Whether one (n, k) @ (k, m) layer is within the CUDA kernels' 32-bit offsets: the same
    rule as fits_32_bit_offsets in launch_plan.cuh. The batch of a vmapped call does not count.
    """
    return max(n, k + 1, m, n * k, n * m, (k + 1) * m) <= _INT32_MAX
