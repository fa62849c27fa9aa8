"""nnreg.core: the lecture's data, its pytree MLP, compiled trainers, ensembles and a regressor.

Names load on first use (PEP 562), so that ``nnreg.core.REGRESSOR_DEFAULTS``, ``MAX_ENSEMBLE``,
``__version__`` and ``write_atomically`` are available without importing jax: the ``nnreg``
command builds its ``--help`` from them.
"""

import importlib
from typing import TYPE_CHECKING

# public name -> the private module that defines it
_HOMES = {
    # the lecture's problem and network
    "LECTURE_LAYER_SIZES": "_mlp",
    "LECTURE_SEED": "_data",
    "VALIDATION_SEED": "_data",
    "forward": "_mlp",
    "generate_data": "_data",
    "init_params": "_mlp",
    "mse": "_mlp",
    "tanh_layer": "_mlp",
    # update rules and training: one run, or many members at once
    "gradient_descent": "_update_rules",
    "optimizer_factory": "_update_rules",
    "flat_update": "_update_rules",
    "EnsembleResult": "_results",
    "TrainResult": "_results",
    "divergence_epoch": "_results",
    "TrainingError": "_errors",
    "train_ensemble": "_ensemble",
    "train_gradient_descent": "_trainers",
    "train_optax": "_trainers",
    # the user's own data
    "REGRESSOR_DEFAULTS": "_defaults",
    "MAX_ENSEMBLE": "_defaults",
    "WEIGHT_DECAY_CANDIDATES": "_defaults",
    "FitReport": "_fit_report",
    "Regressor": "_regressor",
    "load_model": "_regressor",
    "read_csv_columns": "_csv",
    # files and versions
    "write_atomically": "_files",
    "writes_through": "_files",
    "__version__": "_version",
}

__all__ = [name for name in _HOMES if name != "__version__"]


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'nnreg.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted([*__all__, "__version__"])


if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load lazily
    # ruff: noqa: F401
    from ._csv import read_csv_columns
    from ._data import LECTURE_SEED, VALIDATION_SEED, generate_data
    from ._defaults import MAX_ENSEMBLE, REGRESSOR_DEFAULTS, WEIGHT_DECAY_CANDIDATES
    from ._ensemble import train_ensemble
    from ._errors import TrainingError
    from ._files import write_atomically, writes_through
    from ._fit_report import FitReport
    from ._mlp import LECTURE_LAYER_SIZES, forward, init_params, mse, tanh_layer
    from ._regressor import Regressor, load_model
    from ._results import EnsembleResult, TrainResult, divergence_epoch
    from ._trainers import train_gradient_descent, train_optax
    from ._update_rules import flat_update, gradient_descent, optimizer_factory
    from ._version import __version__
