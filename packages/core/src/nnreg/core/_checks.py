"""Argument checks shared by the public functions: fail early, name the problem."""

import numbers

import jax.numpy as jnp
import numpy as np


def check_layer_sizes(layer_sizes):
    """Return ``layer_sizes`` as a tuple of positive ints, at least input and output."""
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise TypeError(f"layer_sizes must be a sequence of ints, got {layer_sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least an input and an output size, got {sizes}")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"layer_sizes must hold ints, got {sizes}")
        if size < 1:
            raise ValueError(f"every layer size must be at least 1, got {sizes}")
    return tuple(int(s) for s in sizes)


def check_params(params):
    """Check the list-of-dicts layout and shapes; return the params as float32 and the sizes."""
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError(
            "params must be a non-empty list of {'W', 'b'} dicts, as init_params returns"
        )
    converted, sizes = [], []
    for i, layer in enumerate(params):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise TypeError(f"params[{i}] must be a dict with exactly the keys 'W' and 'b'")
        W, b = (
            _float_array(layer["W"], f"params[{i}]['W']"),
            _float_array(layer["b"], f"params[{i}]['b']"),
        )
        if W.ndim != 2:
            raise ValueError(f"params[{i}]['W'] must be 2-D (fan_in, fan_out), got shape {W.shape}")
        if b.shape != (1, W.shape[1]):
            raise ValueError(f"params[{i}]['b'] must have shape (1, {W.shape[1]}), got {b.shape}")
        if sizes and W.shape[0] != sizes[-1]:
            raise ValueError(
                f"params[{i}]['W'] has shape {W.shape} but the previous layer outputs {sizes[-1]}"
            )
        if not sizes:
            sizes.append(W.shape[0])
        sizes.append(W.shape[1])
        converted.append({"W": W, "b": b})
    return converted, tuple(sizes)


def check_data(x, y, layer_sizes, names=("x", "y")):
    """Check one (inputs, targets) pair against the network's sizes; return float32 arrays."""
    x_name, y_name = names
    x, y = _float_array(x, x_name), _float_array(y, y_name)
    for name, a in ((x_name, x), (y_name, y)):
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D (rows, columns), got shape {a.shape}")
        if a.shape[0] == 0:
            raise ValueError(f"{name} has no rows")
        if not np.isfinite(np.asarray(a)).all():
            raise ValueError(f"{name} contains NaN or infinite values")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{x_name} has {x.shape[0]} rows but {y_name} has {y.shape[0]}")
    if x.shape[1] != layer_sizes[0]:
        raise ValueError(
            f"{x_name} has {x.shape[1]} columns but the network's input size is {layer_sizes[0]}"
        )
    if y.shape[1] != layer_sizes[-1]:
        raise ValueError(
            f"{y_name} has {y.shape[1]} columns but the network's output size is {layer_sizes[-1]}"
        )
    return x, y


def check_epochs(epochs):
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral):
        raise TypeError(f"epochs must be an int, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    return int(epochs)


def check_learning_rate(learning_rate):
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise TypeError(f"learning_rate must be a number, got {learning_rate!r}")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive and finite, got {learning_rate}")
    return float(learning_rate)


def check_patience(patience):
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
        raise TypeError(f"patience must be an int, got {patience!r}")
    if patience < 1:
        raise ValueError(f"patience must be at least 1, got {patience}")
    return int(patience)


def check_chunk_epochs(chunk_epochs):
    if isinstance(chunk_epochs, bool) or not isinstance(chunk_epochs, int) or chunk_epochs < 1:
        raise ValueError(f"chunk_epochs must be a positive int, got {chunk_epochs!r}")
    return chunk_epochs


def _float_array(value, name):
    try:
        a = np.asarray(value)
    except Exception as err:
        raise TypeError(f"{name} must be an array of numbers: {err}") from None
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    return jnp.asarray(a, jnp.float32)
