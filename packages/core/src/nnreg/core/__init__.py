"""nnreg.core: the lecture's data, its pytree MLP, and compiled trainers for it."""

from ._csv import read_csv_columns
from ._data import LECTURE_SEED, VALIDATION_SEED, generate_data
from ._ensemble import EnsembleResult, train_ensemble
from ._fit_report import FitReport
from ._mlp import LECTURE_LAYER_SIZES, forward, init_params, mse, tanh_layer
from ._regressor import Regressor, load_model
from ._trainers import TrainResult, train_gradient_descent, train_optax

__all__ = [
    "EnsembleResult",
    "LECTURE_LAYER_SIZES",
    "LECTURE_SEED",
    "VALIDATION_SEED",
    "TrainResult",
    "tanh_layer",
    "train_ensemble",
    "forward",
    "generate_data",
    "init_params",
    "mse",
    "train_gradient_descent",
    "train_optax",
    "FitReport",
    "Regressor",
    "load_model",
    "read_csv_columns",
]
