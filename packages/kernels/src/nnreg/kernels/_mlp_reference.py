"""The pure-jnp tanh MLP: the specification of the mlp_tanh kernels and their fallback.

Besides the public reference, the passes of the custom VJP in jnp, for platforms without a
native handler: the forward that also returns the hidden activations (feature-major, as the
kernels save them) and the backward from those activations.
"""

import jax
import jax.numpy as jnp

from ._mlp_validation import prepare_mlp

# True float32 products everywhere: GPUs would otherwise use TF32 and differ from the kernels.
_HIGHEST = jax.lax.Precision.HIGHEST


def mlp_tanh_reference(params, x: jax.Array) -> jax.Array:
    """Return the tanh MLP's output on the rows of x, computed with jax.numpy.

    Hidden layers are tanh(h @ W + b), the last layer is h @ W + b; matmuls run at full
    float32 precision. Takes the same params and x as mlp_tanh and raises the same errors.
    """
    weights, biases, x = prepare_mlp("mlp_tanh_reference", params, x)
    return forward(weights, biases, x)


def forward(weights, biases, x):
    """The network on validated inputs (biases as (fan_out,))."""
    return forward_saving(weights, biases, x)[0]


def forward_saving(weights, biases, x):
    """(y, activations): activations stacks every hidden layer's output as (units, n)."""
    hidden = []
    h = x
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        h = jnp.tanh(jnp.matmul(h, W, precision=_HIGHEST) + b.reshape(1, -1))
        hidden.append(h.T)
    y = jnp.matmul(h, weights[-1], precision=_HIGHEST) + biases[-1].reshape(1, -1)
    units = sum(W.shape[1] for W in weights[:-1])
    activations = jnp.concatenate(hidden) if hidden else jnp.zeros((units, x.shape[0]), x.dtype)
    return y, activations


def backward(dy, x, activations, weights):
    """(dx, dWs, dbs) from the cotangent dy and forward_saving's activations."""
    inputs, start = [x], 0
    for W in weights[:-1]:
        inputs.append(activations[start : start + W.shape[1]].T)
        start += W.shape[1]
    dws, dbs = [None] * len(weights), [None] * len(weights)
    grad = dy
    for index in reversed(range(len(weights))):
        dws[index] = jnp.matmul(inputs[index].T, grad, precision=_HIGHEST)
        dbs[index] = jnp.sum(grad, axis=0)
        grad = jnp.matmul(grad, weights[index].T, precision=_HIGHEST)
        if index > 0:
            grad = grad * (1 - inputs[index] * inputs[index])  # tanh' from its output
    return grad, dws, dbs
