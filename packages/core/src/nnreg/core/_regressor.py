"""A scikit-learn style regressor around the lecture's network, for the user's own data.

Inputs and target are standardised with the training split's mean and std, so the same
defaults suit an Engel curve in dollars and a sensor in millivolts; predictions come back
in the target's own units.
"""

import functools
import time

import numpy as np
import optax

from . import _checks, _fit_data
from ._defaults import REGRESSOR_DEFAULTS
from ._errors import TrainingError
from ._fit_report import FitReport
from ._mlp import init_params, tanh_layer
from ._model_file import ModelState, read_model_file, write_model_file
from ._predictors import member_predictor
from ._trainers import train_optax
from ._update_rules import optimizer_factory

_DEFAULT = REGRESSOR_DEFAULTS


class Regressor:
    """A tanh MLP regression: ``Regressor().fit(x, y).predict(x_new)``.

    Training is full-batch: ``"gd"`` is the lecture's gradient descent and ``"sgd"``
    ``optax.sgd`` (the same plain steps on the whole data set), ``"adam"`` is ``optax.adam``.
    ``learning_rate=None`` takes the optimizer's default (``REGRESSOR_DEFAULTS``, where every
    default lives). ``weight_decay`` adds ``weight_decay * p`` to the gradient of every
    parameter ``p`` (an L2 penalty), which keeps small noisy data sets from being overfitted.
    ``fit`` holds out a seeded random ``val_fraction`` of the rows for validation; with
    ``patience`` it stops once the validation MSE has not improved for that many epochs and
    keeps the best parameters. ``layer`` replaces the hidden layer ``tanh(x @ W + b)`` with
    an equivalent implementation (such as ``nnreg.kernels.dense_tanh``), ``forward`` the
    whole network (such as ``nnreg.kernels.mlp_tanh``).
    """

    def __init__(
        self,
        hidden=_DEFAULT.hidden,
        optimizer=_DEFAULT.optimizer,
        learning_rate=None,
        weight_decay=_DEFAULT.weight_decay,
        epochs=_DEFAULT.epochs,
        val_fraction=_DEFAULT.val_fraction,
        seed=_DEFAULT.seed,
        patience=_DEFAULT.patience,
        layer=None,
        forward=None,
    ):
        self.hidden = _checks.check_hidden(hidden)
        optimizer_factory(optimizer)  # checks the name
        self.optimizer = optimizer
        if learning_rate is None:
            learning_rate = _DEFAULT.learning_rates[optimizer]
        self.learning_rate = _checks.check_learning_rate(learning_rate)
        self.weight_decay = _checks.check_weight_decay(weight_decay)
        self.epochs = _checks.check_epochs(epochs)
        self.val_fraction = _checks.check_fraction(val_fraction, "val_fraction")
        self.seed = _checks.check_seed(seed)
        self.patience = _checks.check_patience(patience)
        self._predictor = member_predictor(layer or tanh_layer, forward)
        self.layer, self.forward = layer, forward
        self.report_ = None
        self._state = None

    def fit(self, x, y, *, x_columns=None, y_column="y", progress=None):
        """Train on ``x`` (rows, inputs) and ``y`` (rows,); return ``self``.

        ``x_columns`` and ``y_column`` name the data in the model file (default ``x0``,
        ``x1``, ... and ``y``). ``progress(epochs_done, epochs, train_loss)`` is called after
        each chunk of epochs. Raises ``TypeError``/``ValueError`` for data it cannot fit and
        ``nnreg.core.TrainingError`` for a run that diverged or learned nothing (its kept
        parameters are the initial ones); the regressor is then left as it was.
        """
        x, y = _fit_data.as_inputs(x), _fit_data.as_target(y)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]}")
        x_columns = _fit_data.column_names(x_columns, x.shape[1])
        train, val = _fit_data.split(x.shape[0], self.val_fraction, self.seed)
        x_mean, x_std = _fit_data.standardisation(x[train], x_columns)
        y_mean, y_std = _fit_data.standardisation(y[train], (y_column,))

        def scaled(rows):
            return (x[rows] - x_mean) / x_std, (y[rows] - y_mean) / y_std

        params = init_params((x.shape[1], *self.hidden, 1), seed=self.seed)
        start = time.perf_counter()
        result = self._train(params, *scaled(train), *scaled(val), progress)
        seconds = time.perf_counter() - start
        _check_learned(result, self.learning_rate)
        state = ModelState(
            params=[{k: np.asarray(v) for k, v in p.items()} for p in result.params],
            x_columns=x_columns,
            y_column=str(y_column),
            x_mean=x_mean[0],
            x_std=x_std[0],
            y_mean=float(y_mean[0, 0]),
            y_std=float(y_std[0, 0]),
        )
        report = FitReport(
            train_mse=_mse(self._predict(state, x[train]), y[train]),
            val_mse=_mse(self._predict(state, x[val]), y[val]),
            n_train=len(train),
            n_val=len(val),
            epochs_run=len(result.train_loss),
            max_epochs=self.epochs,
            patience=self.patience,
            best_epoch=result.best_epoch,
            stopped_early=result.stopped_early,
            seconds=seconds,
            val_rows=val,
            train_loss=result.train_loss,
            val_loss=result.val_loss,
            diverged_epoch=result.diverged_epoch,
        )
        self._state, self.report_ = state, report
        return self

    def _train(self, params, x, y, x_val, y_val, progress):
        optimizer = _optimizer(self.optimizer, self.learning_rate, self.weight_decay)
        return train_optax(
            params, optimizer, x, y, x_val, y_val,
            epochs=self.epochs,
            layer=self._predictor.layer,
            forward=self._predictor.forward,
            progress=progress,
            patience=self.patience,
        )  # fmt: skip

    def predict(self, x):
        """Predictions for the rows of ``x``, in the target's units, shape ``(rows,)``."""
        return self._predict(self._fitted(), _fit_data.as_inputs(x))

    def _predict(self, state, x):
        if x.shape[1] != len(state.x_columns):
            raise ValueError(
                f"x has {x.shape[1]} columns but the model takes {len(state.x_columns)} "
                f"({', '.join(state.x_columns)})"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = np.asarray((x - state.x_mean) / state.x_std, np.float32)
            out = np.asarray(self._predictor.single(state.params, scaled), np.float64)
            prediction = out[:, 0] * state.y_std + state.y_mean
        bad = np.flatnonzero(~(np.isfinite(prediction) & np.isfinite(scaled).all(axis=1)))
        if bad.size:
            raise ValueError(
                f"cannot predict row {bad[0] + 1} (of {len(bad)} such rows): its inputs are "
                "too far outside the range the model was fitted on to compute"
            )
        return prediction

    def save(self, path):
        """Write the fitted model to ``path`` (an ``.npz``), atomically."""
        write_model_file(path, self._fitted())

    @property
    def x_columns_(self):
        return self._fitted().x_columns

    @property
    def y_column_(self):
        return self._fitted().y_column

    def _fitted(self):
        if self._state is None:
            raise ValueError("this Regressor is not fitted yet: call fit() or load_model()")
        return self._state


def load_model(path):
    """Read a model file written by ``Regressor.save`` (or ``nnreg fit``)."""
    state = read_model_file(path)
    model = Regressor(hidden=state.layer_sizes[1:-1])
    model._state = state
    return model


@functools.lru_cache(maxsize=16)
def _optimizer(name, learning_rate, weight_decay):
    # The same object for the same settings lets repeated fits reuse the compiled trainer.
    rule = optimizer_factory(name)(learning_rate)
    if weight_decay == 0:
        return rule
    return optax.chain(optax.add_decayed_weights(weight_decay), rule)


def _check_learned(result, learning_rate):
    """Refuse a run whose kept parameters give a non-finite loss or are the initial ones."""
    hint = f"try a smaller learning rate than {learning_rate:g}"
    if not np.isfinite([result.final_train_loss, result.final_val_loss]).all():
        raise TrainingError(
            f"training diverged at epoch {result.diverged_epoch} (loss not finite); {hint}"
        )
    if result.best_epoch == 0:
        happened = (
            f"training diverged at epoch {result.diverged_epoch} and " if result.diverged else ""
        )
        raise TrainingError(
            f"nothing was learned: {happened}the validation loss never improved on the "
            f"initial weights; {hint}, or more epochs"
        )


def _mse(prediction, y):
    return float(np.mean((prediction - y[:, 0]) ** 2))
