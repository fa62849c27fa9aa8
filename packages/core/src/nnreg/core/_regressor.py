"""A scikit-learn style regressor around the lecture's network, for the user's own data.

Inputs and target are standardised with the training split's mean and std, so the same
defaults suit an Engel curve in dollars and a sensor in millivolts; predictions come back
in the target's own units. The model is a ridge plane plus the mean of an ensemble of
networks trained on what the plane leaves; the members' spread is its uncertainty.
"""

import statistics
import time

import jax
import numpy as np

from . import _checks, _fit_data, _weight_decay_choice
from ._defaults import MAX_ENSEMBLE, REGRESSOR_DEFAULTS
from ._fit_report import FitReport
from ._linear_part import linear_prediction, ridge_plane
from ._member_training import train_members
from ._mlp import tanh_layer
from ._model_file import ModelState, read_model_file, write_model_file
from ._predictors import member_predictor
from ._update_rules import optimizer_factory

_DEFAULT = REGRESSOR_DEFAULTS


class Regressor:
    """A tanh MLP regression: ``Regressor().fit(x, y).predict(x_new)``.

    Training is full-batch: ``"gd"`` is the lecture's gradient descent and ``"sgd"``
    ``optax.sgd`` (the same plain steps on the whole data set), ``"adam"`` is ``optax.adam``.
    ``learning_rate=None`` takes the optimizer's default (``REGRESSOR_DEFAULTS``, where every
    default lives). ``weight_decay`` adds ``weight_decay * p`` to the gradient of every
    parameter ``p`` (an L2 penalty), which keeps small noisy data sets from being overfitted;
    ``"auto"`` trains the networks at each of 0.03, 0.003 and 0 and keeps 0.03 unless a lower
    decay is clearly better on the validation rows (``report_.weight_decay`` says which).
    ``fit`` holds out a seeded random ``val_fraction`` of the rows for validation; with
    ``patience`` it stops once the validation MSE has not improved for that many epochs and
    keeps the best parameters. ``layer`` replaces the hidden layer ``tanh(x @ W + b)`` with
    an equivalent implementation (such as ``nnreg.kernels.dense_tanh``), ``forward`` the
    whole network (such as ``nnreg.kernels.mlp_tanh``).

    ``ensemble`` networks (seeds ``seed``, ``seed + 1``, ...) train as one compiled program,
    each keeping its own best parameters; predictions are their mean, and ``predict(x,
    return_std=True)`` also gives their spread. With ``linear`` the networks are added to
    a ridge plane of the training rows (least squares shrunk as far as generalised
    cross-validation finds best) and learn what it leaves, starting from the plane itself.
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
        ensemble=_DEFAULT.ensemble,
        linear=_DEFAULT.linear,
    ):
        self.hidden = _checks.check_hidden(hidden)
        optimizer_factory(optimizer)  # checks the name
        self.optimizer = optimizer
        if learning_rate is None:
            learning_rate = _DEFAULT.learning_rates[optimizer]
        self.learning_rate = _checks.check_learning_rate(learning_rate)
        self.weight_decay = _checks.check_weight_decay(weight_decay, allow_auto=True)
        self.epochs = _checks.check_epochs(epochs)
        self.val_fraction = _checks.check_fraction(val_fraction, "val_fraction")
        self.seed = _checks.check_seed(seed)
        self.patience = _checks.check_patience(patience)
        self.ensemble = _checks.check_int(ensemble, "ensemble", minimum=1)
        if self.ensemble > MAX_ENSEMBLE:
            raise ValueError(f"ensemble must be at most {MAX_ENSEMBLE}, got {self.ensemble}")
        if self.seed + self.ensemble > _checks.SEEDS_BELOW:
            raise ValueError(
                f"the networks' seeds are seed, seed + 1, ..., seed + {self.ensemble - 1}: with "
                f"ensemble {self.ensemble}, seed must be below "
                f"{_checks.SEEDS_BELOW - self.ensemble + 1}, got {self.seed}"
            )
        if not isinstance(linear, bool):
            raise TypeError(f"linear must be True or False, got {linear!r}")
        self.linear = linear
        self._predictor = member_predictor(layer or tanh_layer, forward)
        self.layer, self.forward = layer, forward
        self.report_ = None
        self._state = None

    def fit(self, x, y, *, x_columns=None, y_column="y", progress=None):
        """Train on ``x`` (rows, inputs) and ``y`` (rows,); return ``self``.

        ``x_columns`` and ``y_column`` name the data in the model file (default: the column
        names of a table such as a pandas DataFrame, else ``x0``, ``x1``, ...; and ``y``), as
        CSV headers are read: not empty, no surrounding spaces.
        ``progress(epochs_done, epochs, train_loss)`` is called after each chunk of epochs.
        Raises ``TypeError``/``ValueError`` for data it cannot fit and
        ``nnreg.core.TrainingError`` for a run that diverged or learned nothing (its kept
        parameters are the initial ones); the regressor is then left as it was.
        """
        if x_columns is None:  # a DataFrame's own names, as scikit-learn records them
            x_columns = _fit_data.names_of_columns(x)
        x, y = _fit_data.as_inputs(x), _fit_data.as_target(y)
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]}")
        x_columns = _fit_data.column_names(x_columns, x.shape[1])
        y_column = _fit_data.column_name(y_column, "y_column")
        train, val = _fit_data.split(x.shape[0], self.val_fraction, self.seed)
        x_mean, x_std = _fit_data.standardisation(x[train], x_columns)
        y_mean, y_std = _fit_data.standardisation(y[train], (y_column,))

        x_train, y_train = (x[train] - x_mean) / x_std, (y[train] - y_mean) / y_std
        x_val, y_val = (x[val] - x_mean) / x_std, (y[val] - y_mean) / y_std
        weights, bias = ridge_plane(x_train, y_train) if self.linear else (None, 0.0)

        def residual(x_rows, y_rows):  # what the networks learn
            return y_rows - linear_prediction(x_rows, weights, bias)

        sizes = (x.shape[1], *self.hidden, 1)
        decays = (
            _weight_decay_choice.CANDIDATES if self.weight_decay == "auto" else (self.weight_decay,)
        )
        start = time.perf_counter()
        candidates = self._train(
            sizes, x_train, residual(x_train, y_train), x_val, residual(x_val, y_val), decays,
            progress,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        # A decay whose networks failed (diverged, learned nothing) is no candidate.
        decays, candidates = zip(
            *[(d, c) for d, c in zip(decays, candidates, strict=True) if c is not None],
            strict=True,
        )
        common = ModelState(
            members=None,
            x_columns=x_columns,
            y_column=y_column,
            x_mean=x_mean[0],
            x_std=x_std[0],
            y_mean=float(y_mean[0, 0]),
            y_std=float(y_std[0, 0]),
            linear_weights=weights,
            linear_bias=bias,
        )
        states = [common._replace(members=trained.members) for trained in candidates]
        # Every row in one pass: one compiled size of evaluation (see _evaluate_members), where
        # the training and validation rows each needed their own.
        fits = [self._members_predict(state, x) for state in states]
        val_errors = [(members[:, val].mean(axis=0) - y[val, 0]) ** 2 for members in fits]
        val_mses = [float(errors.mean()) for errors in val_errors]  # each candidate's
        chosen = _weight_decay_choice.choose(val_errors)
        trained, state, fitted = candidates[chosen], states[chosen], fits[chosen]
        val_mse = val_mses[chosen]
        val_members = fitted[:, val]
        state = state._replace(noise_variance=val_mse / state.y_std**2)
        report = FitReport(
            train_mse=_mse(fitted[:, train].mean(axis=0), y[train]),
            val_mse=val_mse,
            n_train=len(train),
            n_val=len(val),
            epochs_run=trained.train_loss.shape[-1],
            max_epochs=self.epochs,
            patience=self.patience,
            best_epoch=trained.best_epoch,
            stopped_early=trained.stopped_early,
            seconds=seconds,
            val_rows=val,
            train_loss=trained.train_loss,
            val_loss=trained.val_loss,
            diverged_epoch=trained.diverged_epoch,
            member_val_mse=tuple(_mse(member, y[val]) for member in val_members),
            at_plane=trained.at_plane,
            ran_on=trained.ran_on,
            weight_decay=decays[chosen],
            weight_decay_val_mse=(
                tuple(zip(decays, val_mses, strict=True)) if self.weight_decay == "auto" else ()
            ),
        )
        self._state, self.report_ = state, report
        return self

    def _train(self, sizes, x, y, x_val, y_val, decays, progress):
        return train_members(
            sizes, x, y, x_val, y_val,
            members=self.ensemble,
            seed=self.seed,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            weight_decays=decays,
            epochs=self.epochs,
            predictor=self._predictor,
            progress=progress,
            patience=self.patience,
            added_to_plane=self.linear,
        )  # fmt: skip

    def predict(self, x, return_std=False):
        """Predictions for the rows of ``x``, in the target's units, shape ``(rows,)``: the
        mean over the ensemble's members. With ``return_std``, also the members' standard
        deviation (their spread: the model's uncertainty, not the data's noise; 0 for one
        network), as ``(mean, std)`` in scikit-learn's convention. A table with named
        columns (a DataFrame) must have the model's, in order, unless the model was fitted
        without names."""
        state = self._fitted()
        _fit_data.check_columns_match(x, state.x_columns)
        members = self._members_predict(state, _fit_data.as_inputs(x))
        if return_std:
            return members.mean(axis=0), members.std(axis=0)
        return members.mean(axis=0)

    def predict_interval(self, x, level=0.9):
        """``(lower, upper)`` around ``predict(x)``: mean ± z·sqrt(members' variance + noise
        variance), z the normal quantile of ``level``; the noise variance is the ensemble's
        validation MSE, recorded at fit time, so the interval covers new observations."""
        z, noise_variance = self._interval_terms(level)
        mean, std = self.predict(x, return_std=True)
        return _around(mean, std, z, noise_variance)

    def interval_around(self, mean, std, level=0.9):
        """``predict_interval``'s ``(lower, upper)`` from ``mean, std = predict(x,
        return_std=True)``, for a caller that needs all three: the networks run once."""
        return _around(mean, std, *self._interval_terms(level))

    def _interval_terms(self, level):
        """``(z, noise variance in the target's units)`` for an interval at ``level``."""
        level = _checks.check_number(level, "level")
        upper_quantile = 0.5 + level / 2
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        if upper_quantile == 1:  # 0.5 + (1 - 1e-16) / 2 rounds to 1: its quantile is infinite
            raise ValueError(f"level must be far enough below 1 for a finite interval, got {level}")
        state = self._fitted()
        if state.noise_variance is None:
            raise ValueError(
                "this model has no noise estimate (it was fitted by a version of nnreg before "
                "prediction intervals): fit it again for prediction intervals"
            )
        z = statistics.NormalDist().inv_cdf(upper_quantile)
        return z, state.noise_variance * state.y_std**2

    def _members_predict(self, state, x):
        """Each member's predictions, ``(members, rows)``, in the target's units."""
        if x.shape[1] != len(state.x_columns):
            raise ValueError(
                f"x has {x.shape[1]} columns but the model takes {len(state.x_columns)} "
                f"({', '.join(state.x_columns)})"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            standardised = (x - state.x_mean) / state.x_std
            plane = linear_prediction(standardised, state.linear_weights, state.linear_bias)
            scaled = np.asarray(standardised, np.float32)  # the networks' dtype
            out = self._evaluate_members(state.members, scaled) + plane
            prediction = out[:, :, 0] * state.y_std + state.y_mean
        finite = np.isfinite(prediction).all(axis=0) & np.isfinite(scaled).all(axis=1)
        bad = np.flatnonzero(~finite)
        if bad.size:
            raise ValueError(
                f"cannot predict row {bad[0] + 1} (of {len(bad)} such rows): its inputs are "
                "too far outside the range the model was fitted on to compute"
            )
        return prediction

    def _evaluate_members(self, members, x):
        """Every member's network on the rows of ``x``, ``(members, rows, 1)`` in float64.

        All members go through one compiled pass, as the engine evaluates them (eight
        members, one at a time, cost 4 ms of eager dispatches a prediction). Rows go in
        blocks that keep the members' activations within ACTIVATION_FLOATS, so a large
        ensemble on many rows needs no more memory.
        """
        stacked = jax.tree.map(lambda *leaves: np.stack(leaves), *members)
        widest = max(layer["W"].shape[1] for layer in members[0])
        # A power of two: the evaluation pads rows to one (MemberPredictor.evaluate).
        block = 1 << (max(1, ACTIVATION_FLOATS // (len(members) * widest)).bit_length() - 1)
        parts = [
            np.asarray(self._predictor.evaluate(stacked, x[start : start + block]), np.float64)
            for start in range(0, len(x), block)
        ]
        if not parts:  # no rows
            return np.zeros((len(members), 0, 1))
        return np.concatenate(parts, axis=1)

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


# Floats of one hidden layer's activations, all members together, per block of rows that
# Regressor evaluates at once (2^24: 64 MB).
ACTIVATION_FLOATS = 1 << 24


def load_model(path):
    """Read a model file written by ``Regressor.save`` (or ``nnreg fit``)."""
    state = read_model_file(path)
    model = Regressor(
        hidden=state.layer_sizes[1:-1],
        ensemble=len(state.members),
        linear=state.linear_weights is not None,
    )
    model._state = state
    return model


def _around(mean, std, z, noise_variance):
    half = z * np.hypot(std, np.sqrt(noise_variance))  # sqrt(std² + noise), no overflow
    return mean - half, mean + half


def _mse(prediction, y):
    return float(np.mean((prediction - y[:, 0]) ** 2))
