"""The model file: a plain ``.npz`` that ``np.load(path, allow_pickle=False)`` reads.

Strings are numpy unicode arrays and numbers plain numeric arrays, so nothing in the file
is ever unpickled. Files are written beside their target and renamed into place, so a
reader never sees a partial file and a failed write leaves an existing model untouched.

Reading trusts nothing in the file: it reads only the members the format defines, checks
each member's ``.npy`` header (dtype, shape, size) before reading its data, and refuses
non-finite numbers, so a hostile file gets a ``ValueError``, never a huge allocation.
"""

from typing import NamedTuple

import numpy as np

from ._defaults import MAX_ENSEMBLE
from ._files import write_atomically
from ._fit_data import LARGEST_MAGNITUDE
from ._npz_reader import MAX_FILE_BYTES, NpzReader, Refused, WrongShape
from ._version import __version__

FORMAT = "nnreg-regressor"
# 1: one network. 2: an ensemble of networks, a linear part and the noise variance; the first
# member keeps version 1's names (W0, b0, ...), member k > 0 is m{k}_W0, m{k}_b0, ...
# 3: as 2, with `linear` (1 or 0) saying whether there is a linear part, whose members are
# written only if there is one: version 2 stored a zero plane for a model fitted without one,
# so reading it could not tell.
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
ACTIVATION = "tanh"
# Far more layers than any network nnreg trains; it bounds what a file can make nnreg build.
MAX_LAYERS = 1000


class ModelState(NamedTuple):
    """Everything ``predict`` needs: networks, linear part, standardisation, column names.

    On standardised data a prediction is ``x @ linear_weights + linear_bias`` plus the mean
    of the members' networks; ``noise_variance`` is the validation MSE of that prediction
    (None for a version 1 file, which did not record it).
    """

    members: list  # networks, each [{"W": (fan_in, fan_out), "b": (1, fan_out)}, ...] float32
    x_columns: tuple
    y_column: str
    x_mean: np.ndarray  # (n_inputs,) float64
    x_std: np.ndarray
    y_mean: float
    y_std: float
    linear_weights: np.ndarray | None = None  # (n_inputs,) float64; None: no linear part
    linear_bias: float = 0.0
    noise_variance: float | None = None

    @property
    def layer_sizes(self):
        first = self.members[0]
        return (first[0]["W"].shape[0], *(p["W"].shape[1] for p in first))


def write_model_file(path, state):
    """Write ``state`` to ``path`` atomically: a temporary file in the same folder, renamed."""
    arrays = {
        "format": np.str_(FORMAT),
        "format_version": np.int64(FORMAT_VERSION),
        "nnreg_version": np.str_(__version__),
        "activation": np.str_(ACTIVATION),
        "layer_sizes": np.asarray(state.layer_sizes, np.int64),
        "x_columns": np.asarray(state.x_columns, np.str_),
        "y_column": np.str_(state.y_column),
        "x_mean": np.asarray(state.x_mean, np.float64),
        "x_std": np.asarray(state.x_std, np.float64),
        "y_mean": np.float64(state.y_mean),
        "y_std": np.float64(state.y_std),
        "members": np.int64(len(state.members)),
        "linear": np.int64(state.linear_weights is not None),
        "noise_variance": np.float64(
            np.nan if state.noise_variance is None else state.noise_variance
        ),
    }
    if state.linear_weights is not None:
        arrays["linear_weights"] = np.asarray(state.linear_weights, np.float64)
        arrays["linear_bias"] = np.float64(state.linear_bias)
    for k, member in enumerate(state.members):
        prefix = f"m{k}_" if k else ""
        for i, layer in enumerate(member):
            arrays[f"{prefix}W{i}"] = np.asarray(layer["W"], np.float32)
            arrays[f"{prefix}b{i}"] = np.asarray(layer["b"], np.float32)
    write_atomically(path, lambda file: np.savez(file, **arrays))


def read_model_file(path):
    """Read and check a model file.

    Raises ``OSError`` for a file that cannot be read and ``ValueError`` naming the file and
    the problem for anything else: not an nnreg model, another format version, or a damaged
    file (a member missing or unreadable, a wrong dtype or shape, non-finite numbers).
    """
    with open(path, "rb") as file:
        data = _read_at_most(file, MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"{path} is not an nnreg model file (larger than {MAX_FILE_BYTES} bytes, the most "
            "nnreg reads)"
        )
    try:
        archive = NpzReader(data)
    except Refused as err:
        raise ValueError(f"{path} is not an nnreg model file ({err})") from None
    try:
        marker = archive.text("format")
    except Refused:
        marker = None
    if marker != FORMAT:
        raise ValueError(f"{path} is not an nnreg model file (no '{FORMAT}' marker)")
    try:
        version = int(archive.array("format_version", "iu", ()))
    except Refused:
        raise ValueError(
            f"{path} is a damaged nnreg model file: no integer format_version"
        ) from None
    if version not in READABLE_VERSIONS:
        raise ValueError(
            f"{path} has model format version {version}; nnreg {__version__} reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    try:
        return _state(archive, version)
    except Refused as err:
        raise ValueError(f"{path} is a damaged nnreg model file: {err}") from None


def _state(archive, version):
    activation = archive.text("activation")
    if activation != ACTIVATION:
        raise Refused(f"unknown activation {activation[:40]!r}")
    sizes = [int(n) for n in archive.array("layer_sizes", "iu", (range(2, MAX_LAYERS + 2),))]
    if min(sizes) < 1 or sizes[-1] != 1:
        raise Refused(f"layer sizes {sizes} are not those of a network with one output")
    n_inputs = sizes[0]
    try:
        columns = archive.texts("x_columns", (n_inputs,))
    except WrongShape as err:
        raise Refused(f"layer sizes {sizes} do not match the columns: {err}") from None
    if len(set(columns)) != len(columns):
        raise Refused("x_columns names a column more than once")
    x_mean = archive.finite("x_mean", np.float64, (n_inputs,))
    x_std = archive.finite("x_std", np.float64, (n_inputs,))
    y_mean = archive.finite("y_mean", np.float64, ())
    y_std = archive.finite("y_std", np.float64, ())
    if not ((x_std > 0).all() and y_std > 0):
        raise Refused("the standard deviations must be positive and finite")
    _within_fitted_magnitudes(x_mean=x_mean, x_std=x_std, y_mean=y_mean, y_std=y_std)
    state = ModelState(
        members=[_layers(archive, sizes)],
        x_columns=tuple(columns),
        y_column=archive.text("y_column"),
        x_mean=x_mean,
        x_std=x_std,
        y_mean=float(y_mean),
        y_std=float(y_std),
    )
    if version == 1:
        return state
    count = int(archive.array("members", "iu", ()))
    if not 1 <= count <= MAX_ENSEMBLE:
        raise Refused(f"{count} members, not between 1 and {MAX_ENSEMBLE}")
    noise = float(archive.array("noise_variance", "f", ()))  # NaN: not recorded
    if not (np.isnan(noise) or (np.isfinite(noise) and noise >= 0)):
        raise Refused("the noise variance must be finite and not negative")
    if not np.isnan(noise):
        _within_fitted_magnitudes(noise_variance=noise)
    state = state._replace(
        members=[state.members[0], *(_layers(archive, sizes, f"m{k}_") for k in range(1, count))],
        noise_variance=None if np.isnan(noise) else noise,
    )
    if version == 3 and not _flag(archive, "linear"):
        if archive.holds("linear_weights") or archive.holds("linear_bias"):
            raise Refused("'linear' is 0 but the file holds a plane")
        return state
    weights = archive.finite("linear_weights", np.float64, (n_inputs,))
    bias = archive.finite("linear_bias", np.float64, ())
    _within_fitted_magnitudes(linear_weights=weights, linear_bias=bias)
    return state._replace(linear_weights=weights, linear_bias=float(bias))


def _within_fitted_magnitudes(**arrays):
    """Refuse numbers no fit writes: it refuses data beyond LARGEST_MAGNITUDE, so its
    standardisation, plane and noise stay within it (beyond, predictions overflowed to inf)."""
    for name, values in arrays.items():
        if np.abs(values).max(initial=0.0) > LARGEST_MAGNITUDE:
            raise Refused(f"{name} is beyond {LARGEST_MAGNITUDE:g} in magnitude: no fit gives it")


def _flag(archive, name):
    value = int(archive.array(name, "iu", ()))
    if value not in (0, 1):
        raise Refused(f"{name!r} must be 0 or 1, got {value}")
    return bool(value)


def _layers(archive, sizes, prefix=""):
    """One network's ``[{"W", "b"}, ...]``, from members ``{prefix}W0``, ``{prefix}b0``, ..."""
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        try:
            layer = {
                "W": archive.finite(f"{prefix}W{i}", np.float32, (fan_in, fan_out)),
                "b": archive.finite(f"{prefix}b{i}", np.float32, (1, fan_out)),
            }
        except WrongShape as err:
            raise Refused(f"layer {i} does not match the layer sizes {sizes}: {err}") from None
        params.append(layer)
    return params


def _read_at_most(file, limit):
    # In chunks: read(limit) would allocate all of limit at once, and a FIFO or /dev/zero
    # has no size to ask for in advance.
    chunks, total = [], 0
    while total < limit:
        chunk = file.read(min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)
