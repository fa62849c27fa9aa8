"""The lecture's network: a list of ``{"W", "b"}`` dicts, tanh hidden layers, affine output."""

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
    sizes = check_layer_sizes(layer_sizes)
    rng = np.random.RandomState(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = rng.normal(size=(fan_in, fan_out)) * np.sqrt(2 / fan_in)
        params.append({"W": jnp.asarray(W, jnp.float32), "b": jnp.ones((1, fan_out), jnp.float32)})
    return params


def forward(params, x, layer=tanh_layer):
    """Evaluate the network on the rows of ``x``.

    Hidden layers apply ``layer(x, W, b)``; the last layer is affine. Pass the same ``layer``
    object each time (not a fresh lambda) so that jitted callers reuse their compilation.
    """
    if layer is tanh_layer:
        return _forward_feature_major(params, x)
    *hidden, last = params
    for p in hidden:
        x = layer(x, p["W"], p["b"])
    return x @ last["W"] + last["b"]


def _forward_feature_major(params, x):
    # The same arithmetic as tanh_layer with rows and features swapped: XLA's CPU dot runs
    # these narrow layers about 3x faster when the long batch axis is the minor one.
    *hidden, last = params
    h = x.T
    for p in hidden:
        h = jnp.tanh(p["W"].T @ h + p["b"].T)
    return (last["W"].T @ h + last["b"].T).T


def mse(params, x, y, layer=tanh_layer):
    """Mean squared error of the network's predictions."""
    return jnp.mean((forward(params, x, layer) - y) ** 2)
