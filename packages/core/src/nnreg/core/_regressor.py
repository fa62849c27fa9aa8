"""A scikit-learn style regressor around the lecture's network, for the user's own data.

Inputs and target are standardised with the training split's mean and std, so the same
defaults suit an Engel curve in dollars and a sensor in millivolts; predictions come back
in the target's own units.
"""

import functools
import numbers
import time

import numpy as np
import optax

from . import _checks, _fit_data
from ._fit_report import FitReport
from ._mlp import forward, init_params, tanh_layer
from ._model_file import ModelState, read_model_file, write_model_file
from ._trainers import train_optax

# Chosen on development data sets (see benchmarks/fit_quality.py), not on its held-out split.
DEFAULT_LEARNING_RATES = {"gd": 0.1, "sgd": 0.1, "adam": 0.01}
DEFAULT_WEIGHT_DECAY = 0.03
DEFAULT_EPOCHS = 5000
DEFAULT_PATIENCE = 200


class Regressor:
    """A tanh MLP regression: ``Regressor().fit(x, y).predict(x_new)``.

    Training is full-batch: ``"gd"`` and ``"sgd"`` both take plain gradient steps (as
    ``optax.sgd`` does on the whole data set), ``"adam"`` uses ``optax.adam``.
    ``learning_rate=None`` takes the optimizer's default (``DEFAULT_LEARNING_RATES``).
    ``weight_decay`` adds ``weight_decay * p`` to the gradient of every parameter ``p`` (an
    L2 penalty), which keeps small noisy data sets from being overfitted. ``fit`` holds out
    a seeded random ``val_fraction`` of the rows for validation; with ``patience`` it stops
    once the validation MSE has not improved for that many epochs and keeps the best
    parameters. ``layer`` replaces the hidden layer ``tanh(x @ W + b)`` with an equivalent
    implementation, such as ``nnreg.kernels.dense_tanh``.
    """

    def __init__(
        self,
        hidden=(10, 10, 10),
        optimizer="adam",
        learning_rate=None,
        weight_decay=DEFAULT_WEIGHT_DECAY,
        epochs=DEFAULT_EPOCHS,
        val_fraction=0.2,
        seed=0,
        patience=DEFAULT_PATIENCE,
        layer=None,
    ):
        self.hidden = _check_hidden(hidden)
        if optimizer not in DEFAULT_LEARNING_RATES:
            choices = ", ".join(DEFAULT_LEARNING_RATES)
            raise ValueError(f"optimizer must be one of {choices}; got {optimizer!r}")
        self.optimizer = optimizer
        if learning_rate is None:
            learning_rate = DEFAULT_LEARNING_RATES[optimizer]
        self.learning_rate = _checks.check_learning_rate(learning_rate)
        self.weight_decay = _check_weight_decay(weight_decay)
        self.epochs = _checks.check_epochs(epochs)
        self.val_fraction = _check_fraction(val_fraction)
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.seed = int(seed)
        self.patience = None if patience is None else _checks.check_patience(patience)
        if layer is not None and not callable(layer):
            raise TypeError(f"layer must be callable, got {layer!r}")
        self.layer = layer
        self.report_ = None
        self._state = None

    def fit(self, x, y, *, x_columns=None, y_column="y", progress=None):
        """Train on ``x`` (rows, inputs) and ``y`` (rows,); return ``self``.

        ``x_columns`` and ``y_column`` name the data in the model file (default ``x0``,
        ``x1``, ... and ``y``). ``progress(epochs_done, epochs, train_loss)`` is called after
        each chunk of epochs. Raises ``ValueError`` for data it cannot fit and for a run
        that diverges; the regressor is then left as it was.
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
        # With patience the best finite parameters survive a later blow-up; only a model
        # whose kept parameters give a non-finite loss is refused.
        if not np.isfinite([result.final_train_loss, result.final_val_loss]).all():
            raise ValueError(
                f"training diverged at epoch {result.diverged_epoch} (loss not finite); "
                f"try a smaller learning rate than {self.learning_rate}"
            )
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
        )
        self._state, self.report_ = state, report
        return self

    def _train(self, params, x, y, x_val, y_val, progress):
        optimizer = _optax_optimizer(self.optimizer, self.learning_rate, self.weight_decay)
        return train_optax(
            params,
            optimizer,
            x,
            y,
            x_val,
            y_val,
            epochs=self.epochs,
            layer=self.layer or tanh_layer,
            progress=progress,
            patience=self.patience,
        )

    def predict(self, x):
        """Predictions for the rows of ``x``, in the target's units, shape ``(rows,)``."""
        return self._predict(self._fitted(), _fit_data.as_inputs(x))

    def _predict(self, state, x):
        if x.shape[1] != len(state.x_columns):
            raise ValueError(
                f"x has {x.shape[1]} columns but the model takes {len(state.x_columns)} "
                f"({', '.join(state.x_columns)})"
            )
        scaled = np.asarray((x - state.x_mean) / state.x_std, np.float32)
        out = np.asarray(forward(state.params, scaled, self.layer or tanh_layer), np.float64)
        return out[:, 0] * state.y_std + state.y_mean

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
def _optax_optimizer(name, learning_rate, weight_decay):
    # The same object for the same settings lets repeated fits reuse the compiled trainer.
    rule = optax.adam(learning_rate) if name == "adam" else optax.sgd(learning_rate)
    if weight_decay == 0:
        return rule
    return optax.chain(optax.add_decayed_weights(weight_decay), rule)


def _check_weight_decay(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"weight_decay must be a number, got {value!r}")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"weight_decay must be zero or positive, got {value}")
    return float(value)


def _check_hidden(hidden):
    try:
        widths = tuple(hidden)
    except TypeError:
        raise TypeError(f"hidden must be a sequence of layer widths, got {hidden!r}") from None
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"hidden layer widths must be positive ints, got {widths}")
    return tuple(int(w) for w in widths)


def _check_fraction(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"val_fraction must be a number, got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {value}")
    return float(value)


def _mse(prediction, y):
    return float(np.mean((prediction - y[:, 0]) ** 2))
