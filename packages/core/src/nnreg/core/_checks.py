"""Every argument check of nnreg.core: fail early, name the argument and the value.

A wrong type raises ``TypeError``, a wrong value ``ValueError``.
"""

import numbers

import numpy as np


def check_int(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value)


# Epoch numbers, and sums of them with patience, stay within the compiled loop's int32.
MAX_EPOCHS = 2**30


def check_epochs(epochs):
    epochs = check_int(epochs, "epochs", minimum=1)
    if epochs > MAX_EPOCHS:
        raise ValueError(f"epochs must be at most {MAX_EPOCHS} (2**30), got {epochs}")
    return epochs


def check_patience(patience):
    return None if patience is None else check_int(patience, "patience", minimum=1)


def check_chunk_epochs(chunk_epochs):
    return None if chunk_epochs is None else check_int(chunk_epochs, "chunk_epochs", minimum=1)


SEEDS_BELOW = 2**32  # numpy's legacy generator, which the lecture's recipes use


def check_seed(seed, name="seed"):
    seed = check_int(seed, name, minimum=0)
    if seed >= SEEDS_BELOW:
        raise ValueError(f"{name} must be below 2**32, got {seed}")
    return seed


def check_learning_rate(learning_rate, name="learning_rate"):
    learning_rate = check_number(learning_rate, name)
    if learning_rate <= 0:
        raise ValueError(f"{name} must be positive, got {learning_rate}")
    return learning_rate


def check_weight_decay(value, allow_auto=False):
    if allow_auto and isinstance(value, str) and value == "auto":
        return value
    if allow_auto and (isinstance(value, str) or value is None):
        raise ValueError(f"weight_decay must be 'auto' or a number, got {value!r}")
    value = check_number(value, "weight_decay")
    if value < 0:
        raise ValueError(f"weight_decay must be zero or positive, got {value}")
    return value


def check_fraction(value, name):
    value = check_number(value, name)
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value}")
    return value


def check_callable(value, name):
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable, got {value!r}")
    return value


def check_widths(widths, name, *, minimum_count):
    """A sequence of positive int layer widths, as a tuple."""
    if isinstance(widths, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of ints, got {widths!r}")
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {widths!r}") from None
    if len(widths) < minimum_count:
        raise ValueError(f"{name} needs at least {minimum_count} sizes, got {widths}")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, numbers.Integral):
            raise TypeError(f"{name} must hold ints, got {widths}")
        if width < 1:
            raise ValueError(f"every size in {name} must be at least 1, got {widths}")
    return tuple(int(w) for w in widths)


def check_layer_sizes(layer_sizes):
    """``layer_sizes`` as a tuple of positive ints: at least an input and an output size."""
    return check_widths(layer_sizes, "layer_sizes", minimum_count=2)


def check_hidden(hidden):
    return check_widths(hidden, "hidden", minimum_count=0)


def real_array(value, name, dtype):
    """``value`` as a non-empty finite array of ``dtype``."""
    try:
        a = np.asarray(value)
    except Exception as err:
        raise TypeError(f"{name} must be an array of numbers: {err}") from None
    if a.dtype == object or not (
        np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    with np.errstate(over="ignore"):
        a = a.astype(dtype)
    if not np.isfinite(a).all():
        raise ValueError(
            f"{name} contains NaN or infinite values (or values too large for {a.dtype})"
        )
    return a


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
        W = real_array(layer["W"], f"params[{i}]['W']", np.float32)
        b = real_array(layer["b"], f"params[{i}]['b']", np.float32)
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
    x, y = real_array(x, x_name, np.float32), real_array(y, y_name, np.float32)
    for name, a in ((x_name, x), (y_name, y)):
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D (rows, columns), got shape {a.shape}")
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


def check_seeds(seeds):
    """A non-empty 1-D sequence of seeds, as an int64 array."""
    array = np.asarray(seeds)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"seeds must be ints, got {array.dtype} values")
    for seed in array:
        check_seed(int(seed), "seeds[i]")
    return array


def check_weight_decays(weight_decays, count):
    """One weight decay, or one per member: a float64 array of ``count`` values, each zero
    or positive."""
    return _one_per_member(weight_decays, count, "weight_decays", check_weight_decay)


def check_learning_rates(learning_rates, count):
    """One learning rate, or one per member: a float64 array of ``count`` positive rates."""

    def check_one(rate):
        check_learning_rate(rate, "learning_rates[i]")

    return _one_per_member(learning_rates, count, "learning_rates", check_one)


def _one_per_member(values, count, name, check_one):
    try:
        array = np.asarray(values, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers, got {values!r}") from None
    if array.ndim == 0:
        array = np.full(count, array)
    if array.shape != (count,):
        raise ValueError(
            f"{name} must be one number or one per seed: {count} seeds, {name} of shape "
            f"{array.shape}"
        )
    for value in array:
        check_one(float(value))
    return array


def check_devices(devices):
    devices = list(devices)
    if not devices:
        raise ValueError("devices must name at least one device, got an empty list")
    return devices
