"""Trace-time checks of mlp_tanh's inputs, with errors that name every shape."""

from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp


def prepare_mlp(caller: str, params, x) -> tuple[list[jax.Array], list[jax.Array], jax.Array]:
    """Check params (a non-empty list of {"W": (fan_in, fan_out), "b": (fan_out,) or
    (1, fan_out)} dicts whose layers chain) and x (n, fan_in of the first layer).

    Returns the weights, the biases as (fan_out,) and x, all in their common floating dtype.
    Raises TypeError for wrong types and ValueError for wrong shapes or missing keys.
    """
    if isinstance(params, (Mapping, str, bytes)) or not isinstance(params, Sequence):
        raise TypeError(
            f"{caller}: params must be a list of {{'W', 'b'}} dicts, got {type(params).__name__}"
        )
    if not params:
        raise ValueError(f"{caller}: params is an empty list; the network needs a layer")
    weights, biases = [], []
    for index, layer in enumerate(params):
        if not isinstance(layer, Mapping):
            raise TypeError(
                f"{caller}: params[{index}] must be a dict with keys 'W' and 'b', "
                f"got {type(layer).__name__}"
            )
        missing = [key for key in ("W", "b") if key not in layer]
        if missing:
            raise ValueError(
                f"{caller}: params[{index}] lacks key(s) {missing}; it has {sorted(layer)}"
            )
        weights.append(_as_array(caller, f"params[{index}]['W']", layer["W"]))
        biases.append(_as_array(caller, f"params[{index}]['b']", layer["b"]))
    x = _as_array(caller, "x", x)
    described = _describe(weights, biases, x)
    for name, array in _named(weights, biases, x):
        if not jnp.issubdtype(array.dtype, jnp.floating):
            raise TypeError(
                f"{caller}: {name} must be a real floating array, got dtype {array.dtype} "
                f"({described})"
            )
    if x.ndim != 2:
        raise ValueError(f"{caller}: expected x of shape (n, features), got {described}")
    fan_in = x.shape[1]
    for index, (W, b) in enumerate(zip(weights, biases, strict=True)):
        if W.ndim != 2:
            raise ValueError(f"{caller}: expected W{index} (fan_in, fan_out), got {described}")
        if W.shape[0] != fan_in:
            source = "x columns" if index == 0 else f"W{index - 1} columns"
            raise ValueError(
                f"{caller}: layers do not chain: {source} ({fan_in}) differ from W{index} rows "
                f"({W.shape[0]}) in {described}"
            )
        fan_in = W.shape[1]
        if b.shape not in ((fan_in,), (1, fan_in)):
            raise ValueError(
                f"{caller}: expected b{index} of shape ({fan_in},) or (1, {fan_in}), "
                f"got {described}"
            )
    dtype = jnp.result_type(x, *weights, *biases)
    return (
        [W.astype(dtype) for W in weights],
        [b.reshape(b.shape[-1]).astype(dtype) for b in biases],
        x.astype(dtype),
    )


def _named(weights, biases, x):
    yield "x", x
    for index, (W, b) in enumerate(zip(weights, biases, strict=True)):
        yield f"W{index}", W
        yield f"b{index}", b


def _describe(weights, biases, x) -> str:
    return ", ".join(f"{name}{tuple(array.shape)}" for name, array in _named(weights, biases, x))


def _as_array(caller: str, name: str, value) -> jax.Array:
    try:
        return jnp.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{caller}: {name} is not an array ({error})") from error
