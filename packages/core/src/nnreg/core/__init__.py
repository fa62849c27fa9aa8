"""nnreg.core: the lecture's data, its pytree MLP, compiled trainers, ensembles and a regressor."""

from ._csv import read_csv_columns
from ._data import LECTURE_SEED, VALIDATION_SEED, generate_data
from ._ensemble import EnsembleResult, train_ensemble
from ._fit_report import FitReport
from ._mlp import LECTURE_LAYER_SIZES, forward, init_params, mse, tanh_layer
from ._regressor import Regressor, load_model
from ._trainers import TrainResult, train_gradient_descent, train_optax

__all__ = [
    # the lecture's problem and network
    "LECTURE_LAYER_SIZES",
    "LECTURE_SEED",
    "VALIDATION_SEED",
    "forward",
    "generate_data",
    "init_params",
    "mse",
    "tanh_layer",
    # training: one run, or many members at once
    "EnsembleResult",
    "TrainResult",
    "train_ensemble",
    "train_gradient_descent",
    "train_optax",
    # the user's own data
    "FitReport",
    "Regressor",
    "load_model",
    "read_csv_columns",
]
