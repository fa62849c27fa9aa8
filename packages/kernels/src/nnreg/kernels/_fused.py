"""dense_tanh: the native fused kernels behind a custom VJP, chosen per platform."""

import jax
import jax.numpy as jnp

from . import _reference
from ._registry import BACKWARD_TARGET, FORWARD_TARGET, native_platforms
from ._validation import fits_cuda_kernel, prepare


def dense_tanh(x: jax.Array, W: jax.Array, b: jax.Array) -> jax.Array:
    """Return tanh(x @ W + b), fused in one native kernel where one is available.

    Args:
      x: (n, k) floating array; n may be 0.
      W: (k, m) floating array.
      b: (m,) or (1, m) floating array; its gradient has the same shape.

    float32 inputs run the native CPU or CUDA kernel, picked when the program is lowered for
    a platform (see implementation()); other floating dtypes (bfloat16, float16, float64)
    and platforms without a kernel use dense_tanh_reference, as do layers too large for the
    CUDA kernel's 32-bit offsets (2^31 elements) on GPUs. Mixed dtypes are promoted first.
    Differentiable (reverse mode, through a native backward kernel) and batchable with
    jax.vmap over any argument. Raises TypeError for non-floating inputs and ValueError for
    shapes that do not describe a dense layer.
    """
    x, W, b = prepare("dense_tanh", x, W, b)
    if x.dtype != jnp.float32:
        return _reference.forward(x, W, b)
    return _dense_tanh_f32(x, W, b)


@jax.custom_vjp
def _dense_tanh_f32(x: jax.Array, W: jax.Array, b: jax.Array) -> jax.Array:
    return _forward(x, W, b)


def _dense_tanh_f32_fwd(x, W, b):
    y = _forward(x, W, b)
    return y, (x, W, y)


def _dense_tanh_f32_bwd(residuals, dy):
    x, W, y = residuals
    return _backward(dy, y, x, W)


_dense_tanh_f32.defvjp(_dense_tanh_f32_fwd, _dense_tanh_f32_bwd)


# The platform is known only when the program is lowered, so every platform with a native
# handler for this shape gets a branch and platform_dependent keeps just the one being
# lowered for.
def _forward(x, W, b):
    native = dict.fromkeys(_platforms_for(x, W), _native_forward)
    if not native:
        return _reference.forward(x, W, b)
    return jax.lax.platform_dependent(x, W, b, default=_reference.forward, **native)


def _backward(dy, y, x, W):
    native = dict.fromkeys(_platforms_for(x, W), _native_backward)
    if not native:
        return _reference.backward(dy, y, x, W)
    return jax.lax.platform_dependent(dy, y, x, W, default=_reference.backward, **native)


def _platforms_for(x, W):
    """The platforms whose native kernels take a layer of x's and W's shapes: decided here,
    when tracing, because a kernel that rejected the shape could only fail when it ran."""
    (n, k), m = x.shape, W.shape[1]
    return tuple(p for p in native_platforms() if p != "cuda" or fits_cuda_kernel(n, k, m))


# "broadcast_all": under vmap every operand gets the same leading batch dimensions, which
# the kernels treat as a batch of independent layers (W is tiny next to x, so copying it
# per batch element costs little).
def _native_forward(x, W, b):
    y = jax.ShapeDtypeStruct((x.shape[0], W.shape[1]), x.dtype)
    return jax.ffi.ffi_call(FORWARD_TARGET, y, vmap_method="broadcast_all")(x, W, b)


def _native_backward(dy, y, x, W):
    grads = (
        jax.ShapeDtypeStruct(x.shape, x.dtype),
        jax.ShapeDtypeStruct(W.shape, W.dtype),
        jax.ShapeDtypeStruct((W.shape[1],), W.dtype),
    )
    return tuple(jax.ffi.ffi_call(BACKWARD_TARGET, grads, vmap_method="broadcast_all")(dy, y, x, W))
