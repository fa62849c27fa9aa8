"""The lecture's network: a list of ``{"W", "b"}`` dicts, tanh hidden layers, affine output."""

import jax
import jax.numpy as jnp
import numpy as np

from ._checks import check_layer_sizes

LECTURE_LAYER_SIZES = (1, 10, 10, 10, 1)


def tanh_layer(x, W, b):
    """The lecture's hidden layer, ``tanh(x @ W + b)``; the default ``layer`` everywhere."""
    return jnp.tanh(x @ W + b)


def init_params(layer_sizes=LECTURE_LAYER_SIZES, seed=1234):
    """He-initialised weights ``normal * sqrt(2 / fan_in)`` and biases of ones, as float32.

    Draws come from a private legacy ``RandomState`` in the lecture's order (one matrix per
    layer, input side first), so for the lecture's shapes the weights equal the lecture's.
    """
    return jax.tree.map(jnp.asarray, init_arrays(layer_sizes, seed))


def init_arrays(layer_sizes=LECTURE_LAYER_SIZES, seed=1234):
    """:func:`init_params` as numpy arrays: what an ensemble stacks on the host before placing
    its members, without a round trip through the device (about 1 ms a member otherwise)."""
    sizes = check_layer_sizes(layer_sizes)
    rng = np.random.RandomState(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = rng.normal(size=(fan_in, fan_out)) * np.sqrt(2 / fan_in)
        params.append({"W": W.astype(np.float32), "b": np.ones((1, fan_out), np.float32)})
    return params


def forward(params, x, layer=tanh_layer):
    """Evaluate the network on the rows of ``x``.

    Hidden layers apply ``layer(x, W, b)``; the last layer is affine. Pass the same ``layer``
    object each time (not a fresh lambda) so that jitted callers reuse their compilation.
    """
    if layer is tanh_layer:
        return feature_major(params, x.T).T
    *hidden, last = params
    for p in hidden:
        x = layer(x, p["W"], p["b"])
    return x @ last["W"] + last["b"]


def mse(params, x, y, layer=tanh_layer):
    """Mean squared error of the network's predictions."""
    return jnp.mean((forward(params, x, layer) - y) ** 2)


def feature_major(params, h):
    """The network with rows and features swapped: ``h`` is ``(features, rows)``.

    The same arithmetic as :func:`tanh_layer` layers, but XLA's CPU dot runs these narrow
    layers about 3x faster when the long row axis is the minor one. Leaves may carry a
    leading member axis (``W`` of shape ``(members, fan_in, fan_out)``); ``h`` is then shared
    by every member or has the member axis too. Returns ``([members,] outputs, rows)``.
    """
    *hidden, last = params
    for p in hidden:
        h = jnp.tanh(_affine(p["W"], p["b"], h))
    return _affine(last["W"], last["b"], h)


def _affine(W, b, h):
    if W.ndim == 2:
        return W.T @ h + b.T
    return _members_affine(W, b, h)


def members_feature_major(params, h):
    """:func:`feature_major` of every member (leaves with a leading member axis), for
    evaluation only: plain products, where training's custom gradient and einsum, run
    eagerly, cost milliseconds a call."""
    *hidden, last = params
    for p in hidden:
        h = jnp.tanh(_members_matmul(p, h))
    return _members_matmul(last, h)


def _members_matmul(p, h):
    return jnp.swapaxes(p["W"], 1, 2) @ h + jnp.swapaxes(p["b"], 1, 2)


@jax.custom_vjp
def _members_affine(W, b, h):
    """``W[k].T @ h[k] + b[k].T`` for every member ``k``; ``h`` may be one array shared by all."""
    # XLA's CPU batched dot is about 4x faster when the contracted axis is the minor one
    # of the left operand, so it gets W transposed; the barrier keeps XLA from folding the
    # transpose back into the dot.
    W_t = jax.lax.optimization_barrier(jnp.swapaxes(W, 1, 2))
    product = jnp.einsum("kij,jn->kin" if h.ndim == 2 else "kij,kjn->kin", W_t, h)
    return product + jnp.swapaxes(b, 1, 2)


def _members_affine_forward(W, b, h):
    return _members_affine(W, b, h), (W, h)


def _members_affine_backward(residuals, d_out):
    W, h = residuals
    d_b = _row_sums(d_out)[:, None, :]
    if h.ndim == 2:  # shared input: its gradient is never used, only W's
        return jnp.einsum("jn,kin->kji", h, d_out), d_b, jnp.zeros_like(h)
    return jnp.einsum("kjn,kin->kji", h, d_out), d_b, jnp.einsum("kji,kin->kjn", W, d_out)


def _row_sums(d_out):
    """``d_out`` summed over its last (row) axis."""
    if d_out.shape[0] == 1:
        # One network: XLA's reduction is as fast, and keeps single runs' rounding as it was.
        return d_out.sum(axis=-1)
    # For an ensemble's (members, width, rows) gradients a product with ones runs on XLA's
    # dot library, in about half the time of XLA's own reduction: about 10% of an epoch of
    # 8 members of widths 10 on 354 rows, on one core.
    return jnp.einsum("kin,n->ki", d_out, jnp.ones(d_out.shape[-1], d_out.dtype))


_members_affine.defvjp(_members_affine_forward, _members_affine_backward)
