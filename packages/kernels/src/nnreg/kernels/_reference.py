"""The pure-jnp dense+tanh layer: the specification of the kernels and their fallback."""

import jax
import jax.numpy as jnp

from ._validation import prepare

# True float32 products everywhere: GPUs would otherwise use TF32 and differ from the kernels.
_HIGHEST = jax.lax.Precision.HIGHEST


def dense_tanh_reference(x: jax.Array, W: jax.Array, b: jax.Array) -> jax.Array:
    """Return tanh(x @ W + b) computed with jax.numpy, at full float32 matmul precision.

    Args:
      x: (n, k) floating array.
      W: (k, m) floating array.
      b: (m,) or (1, m) floating array.

    Inputs are promoted to their common floating dtype. Raises TypeError for non-floating
    inputs and ValueError for shapes that do not describe a dense layer.
    """
    x, W, b = prepare("dense_tanh_reference", x, W, b)
    return forward(x, W, b)


def forward(x: jax.Array, W: jax.Array, b: jax.Array) -> jax.Array:
    """tanh(x W + b) for validated x (n, k), W (k, m), b (m,)."""
    return jnp.tanh(jnp.matmul(x, W, precision=_HIGHEST) + b.reshape(1, b.shape[0]))


def backward(
    dy: jax.Array, y: jax.Array, x: jax.Array, W: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(dx, dW, db) of the layer from its output y = forward(x, W, b) and cotangent dy."""
    dz = dy * (1 - y * y)
    return (
        jnp.matmul(dz, W.T, precision=_HIGHEST),
        jnp.matmul(x.T, dz, precision=_HIGHEST),
        jnp.sum(dz, axis=0),
    )
