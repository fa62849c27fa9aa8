"""The user's arrays, made ready for a fit: checked, split at random, standardised."""

import numpy as np


def as_inputs(x):
    x = _finite_array(x, "x")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"x must be 2-D (rows, inputs) with at least one input, got {x.shape}")
    return x


def as_target(y):
    y = _finite_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        return y
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (rows,) or a single column, got shape {y.shape}")
    return y[:, None]


def _finite_array(value, name):
    a = np.asarray(value)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def column_names(names, count):
    names = tuple(f"x{i}" for i in range(count)) if names is None else tuple(map(str, names))
    if len(names) != count:
        raise ValueError(f"{len(names)} x_columns given for {count} input columns")
    return names


def split(rows, val_fraction, seed):
    """Seeded random (train, validation) row indices; at least 2 to train and 1 to validate."""
    n_val = max(1, round(rows * val_fraction))
    if rows - n_val < 2:
        raise ValueError(
            f"too few rows to split: {rows} row(s) with val_fraction {val_fraction} leave "
            f"{rows - n_val} for training and {n_val} for validation; fit needs at least 2 "
            "training rows and 1 validation row"
        )
    order = np.random.default_rng(seed).permutation(rows)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def standardisation(values, names):
    constant = [name for name, column in zip(names, values.T, strict=True) if np.ptp(column) == 0]
    if constant:
        listed = ", ".join(repr(name) for name in constant)
        subject = f"column {listed} is" if len(constant) == 1 else f"columns {listed} are"
        raise ValueError(
            f"{subject} constant in the training rows (standard deviation 0), so it cannot "
            "be standardised and tells the network nothing; leave it out"
        )
    return values.mean(axis=0, keepdims=True), values.std(axis=0, keepdims=True)
