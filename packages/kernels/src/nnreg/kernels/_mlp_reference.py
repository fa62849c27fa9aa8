"""The pure-jnp tanh MLP: the specification of the mlp_tanh kernels and their fallback.

Besides the public reference, the passes of the custom VJP in jnp, for platforms without a
native handler: the forward that also returns the hidden activations (laid out as the
kernels save them) and the backward from those activations.
"""

import jax
import jax.numpy as jnp

from ._mlp_validation import prepare_mlp

# True float32 products everywhere: GPUs would otherwise use TF32 and differ from the kernels.
_HIGHEST = jax.lax.Precision.HIGHEST
# Rows per block of the saved activations (kMlpRowBlock in csrc/common/mlp_shape.h).
ROW_BLOCK = 64


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


def activations_shape(widths, n):
    """(blocks of ROW_BLOCK rows, hidden units, ROW_BLOCK) for a network of ``widths`` (inputs,
    then each layer's outputs): one block of every hidden layer's outputs is contiguous, the
    last block padded."""
    return (-(-n // ROW_BLOCK), sum(widths[1:-1]), ROW_BLOCK)


def forward_saving(weights, biases, x):
    """(y, activations): every hidden layer's output, laid out as activations_shape says."""
    hidden = [jnp.zeros((x.shape[0], 0), x.dtype)]
    h = x
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        h = jnp.tanh(jnp.matmul(h, W, precision=_HIGHEST) + b.reshape(1, -1))
        hidden.append(h)
    y = jnp.matmul(h, weights[-1], precision=_HIGHEST) + biases[-1].reshape(1, -1)
    widths = (x.shape[1], *(W.shape[1] for W in weights))
    blocks, units, _ = activations_shape(widths, x.shape[0])
    rows = jnp.pad(jnp.concatenate(hidden, axis=1), ((0, blocks * ROW_BLOCK - x.shape[0]), (0, 0)))
    return y, rows.reshape(blocks, ROW_BLOCK, units).transpose(0, 2, 1)


def backward(dy, x, activations, weights):
    """(dx, dWs, dbs) from the cotangent dy and forward_saving's activations."""
    blocks, units, _ = activations.shape
    rows = activations.transpose(0, 2, 1).reshape(blocks * ROW_BLOCK, units)[: x.shape[0]]
    inputs, start = [x], 0
    for W in weights[:-1]:
        inputs.append(rows[:, start : start + W.shape[1]])
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
