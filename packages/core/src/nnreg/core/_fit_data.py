"""The user's arrays, made ready for a fit: checked, split at random, standardised."""

import numpy as np

from ._checks import real_array

# Squared errors of values beyond these magnitudes overflow or underflow float64, and their
# standardisation loses every digit: such columns must be rescaled by the user.
LARGEST_MAGNITUDE = 1e150
SMALLEST_SPREAD = 1e-150


def as_inputs(x):
    x = real_array(x, "x", np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"x must be 2-D (rows, inputs) with at least one input, got {x.shape}")
    return x


def as_target(y):
    y = real_array(y, "y", np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        return y
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (rows,) or a single column, got shape {y.shape}")
    return y[:, None]


def names_of_columns(x):
    """The column names of a table such as a pandas DataFrame, or None for an array (or a
    table whose names are not all strings)."""
    names = getattr(x, "columns", None)
    if names is None or isinstance(x, np.ndarray):
        return None
    names = tuple(names)
    return names if all(isinstance(name, str) for name in names) else None


def check_columns_match(x, x_columns):
    """Refuse a table whose named columns are not the model's, in order (a reordered table
    would otherwise be predicted from silently wrong inputs). Models fitted without names
    (``x0``, ``x1``, ...) take any."""
    names = names_of_columns(x)
    if names is None or names == x_columns or x_columns == column_names(None, len(x_columns)):
        return
    raise ValueError(
        f"x has columns ({', '.join(names)}) but the model takes ({', '.join(x_columns)}), "
        "in that order"
    )


def column_names(names, count):
    names = tuple(f"x{i}" for i in range(count)) if names is None else tuple(map(str, names))
    if len(names) != count:
        raise ValueError(f"{len(names)} x_columns given for {count} input columns")
    for name in names:
        column_name(name, "x_columns")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"x_columns name a column more than once: {', '.join(repeated)}")
    return names


def column_name(name, argument):
    """``name`` as a model file records it, refused where no CSV header could match it
    (``read_csv_columns`` reads headers without surrounding spaces), so that a model fitted
    in Python can predict from a CSV file."""
    name = str(name)
    if not name.strip():
        raise ValueError(f"{argument}: a column name must not be empty, got {name!r}")
    if name != name.strip():
        raise ValueError(
            f"{argument}: column name {name!r} has whitespace around it, which CSV headers are "
            "read without: name it as its CSV header reads"
        )
    return name


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
    """Per column mean and std (each ``(1, columns)``) of ``values``, or a ValueError naming
    the columns that are constant or whose magnitudes nnreg cannot fit."""
    constant = [
        name for name, column in zip(names, values.T, strict=True) if column.min() == column.max()
    ]
    if constant:
        raise ValueError(
            f"{_columns(constant)} constant in the training rows (standard deviation 0), so "
            "it cannot be standardised and tells the network nothing; leave it out"
        )
    with np.errstate(over="ignore", under="ignore"):
        scale = np.abs(values).max(axis=0, keepdims=True)
        bad = scale[0] > LARGEST_MAGNITUDE
        if not bad.any():
            # Scaled first, so that neither the mean nor the squares overflow or underflow.
            mean = (values / scale).mean(axis=0, keepdims=True) * scale
            centred = values - mean
            spread = np.abs(centred).max(axis=0, keepdims=True)
            std = (centred / spread).std(axis=0, keepdims=True) * spread
            bad = std[0] < SMALLEST_SPREAD
    if bad.any():
        raise ValueError(
            f"{_columns([name for name, b in zip(names, bad, strict=True) if b])} out of "
            f"range: nnreg fits values up to {LARGEST_MAGNITUDE:g} in magnitude that vary by "
            f"at least {SMALLEST_SPREAD:g}; rescale it"
        )
    return mean, std


def _columns(names):
    listed = ", ".join(repr(name) for name in names)
    return f"column {listed} is" if len(names) == 1 else f"columns {listed} are"
