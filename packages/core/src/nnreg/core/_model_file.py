"""The model file: a plain ``.npz`` that ``np.load(path, allow_pickle=False)`` reads.

Strings are numpy unicode arrays and numbers plain numeric arrays, so nothing in the file
is ever unpickled. Files are written beside their target and renamed into place, so a
reader never sees a partial file and a failed write leaves an existing model untouched.
"""

import importlib.metadata
import zipfile
from typing import NamedTuple

import numpy as np

from ._atomic import write_atomically

FORMAT = "nnreg-regressor"
FORMAT_VERSION = 1
ACTIVATION = "tanh"


class ModelState(NamedTuple):
    """Everything ``predict`` needs: weights, standardisation and column names."""

    params: list  # [{"W": (fan_in, fan_out), "b": (1, fan_out)}, ...] as float32 numpy
    x_columns: tuple
    y_column: str
    x_mean: np.ndarray  # (n_inputs,) float64
    x_std: np.ndarray
    y_mean: float
    y_std: float

    @property
    def layer_sizes(self):
        return (self.params[0]["W"].shape[0], *(p["W"].shape[1] for p in self.params))


def nnreg_version():
    try:
        return importlib.metadata.version("nnreg-core")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def write_model_file(path, state):
    """Write ``state`` to ``path`` atomically: a temporary file in the same folder, renamed."""
    arrays = {
        "format": np.str_(FORMAT),
        "format_version": np.int64(FORMAT_VERSION),
        "nnreg_version": np.str_(nnreg_version()),
        "activation": np.str_(ACTIVATION),
        "layer_sizes": np.asarray(state.layer_sizes, np.int64),
        "x_columns": np.asarray(state.x_columns, np.str_),
        "y_column": np.str_(state.y_column),
        "x_mean": np.asarray(state.x_mean, np.float64),
        "x_std": np.asarray(state.x_std, np.float64),
        "y_mean": np.float64(state.y_mean),
        "y_std": np.float64(state.y_std),
    }
    for i, layer in enumerate(state.params):
        arrays[f"W{i}"] = np.asarray(layer["W"], np.float32)
        arrays[f"b{i}"] = np.asarray(layer["b"], np.float32)
    write_atomically(path, lambda file: np.savez(file, **arrays))


def read_model_file(path):
    """Read and check a model file; ``ValueError`` names what is wrong with a bad one."""
    # Opened here, not by np.load, which leaks its handle when the zip directory is bad.
    with open(path, "rb") as file:
        if not zipfile.is_zipfile(file):
            raise ValueError(f"{path} is not an nnreg model file (not an .npz archive)")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as err:
            # np.load raises a mix of these for text, truncated, pickled and .npy files.
            raise ValueError(f"{path} is not an nnreg model file ({err})") from None
    if _text(arrays.get("format")) != FORMAT:
        raise ValueError(f"{path} is not an nnreg model file (no '{FORMAT}' marker)")
    version = arrays.get("format_version")
    if version is None or version.shape != () or version.dtype.kind not in "iu":
        raise ValueError(f"{path} is a damaged nnreg model file: no integer format_version")
    if int(version) != FORMAT_VERSION:
        raise ValueError(
            f"{path} has model format version {int(version)}; nnreg {nnreg_version()} reads "
            f"version {FORMAT_VERSION} only"
        )
    try:
        return _state(arrays)
    except KeyError as err:
        raise ValueError(f"{path} is a damaged nnreg model file: {err} is missing") from None
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} is a damaged nnreg model file: {err}") from None


def _state(arrays):
    if _text(arrays["activation"]) != ACTIVATION:
        raise ValueError(f"unknown activation {arrays['activation']}")
    sizes = [int(s) for s in arrays["layer_sizes"]]
    params = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = {"W": arrays[f"W{i}"].astype(np.float32), "b": arrays[f"b{i}"].astype(np.float32)}
        if layer["W"].shape != (fan_in, fan_out) or layer["b"].shape != (1, fan_out):
            raise ValueError(f"layer {i} does not match the layer sizes {sizes}")
        params.append(layer)
    state = ModelState(
        params=params,
        x_columns=tuple(str(c) for c in arrays["x_columns"]),
        y_column=_text(arrays["y_column"]),
        x_mean=arrays["x_mean"].astype(np.float64),
        x_std=arrays["x_std"].astype(np.float64),
        y_mean=float(arrays["y_mean"]),
        y_std=float(arrays["y_std"]),
    )
    n_inputs = sizes[0] if sizes else 0
    if len(sizes) < 2 or sizes[-1] != 1 or len(state.x_columns) != n_inputs:
        raise ValueError(f"layer sizes {sizes} do not match the columns {state.x_columns}")
    if state.x_mean.shape != (n_inputs,) or state.x_std.shape != (n_inputs,):
        raise ValueError("the input standardisation does not match the columns")
    scales = np.append(state.x_std, state.y_std)
    if not (np.isfinite(scales).all() and (scales > 0).all()):
        raise ValueError("the standard deviations must be positive and finite")
    return state


def _text(value):
    if value is None or value.shape != () or value.dtype.kind != "U":
        return None
    return str(value)
