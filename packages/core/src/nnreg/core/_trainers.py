"""Full-batch trainers: every epoch of a run happens inside one compiled ``lax.scan``.

Gradient descent and every optax optimizer share one training loop; they differ only in the
update rule, a small hashable object passed to ``jax.jit`` as a static argument so that a
second run with the same rule, layer and shapes reuses the compiled program.
"""

import dataclasses
import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import _checks
from ._mlp import mse, tanh_layer

MIN_PATIENCE_CHUNK = 50


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What a training run produced.

    ``train_loss[i]`` and ``val_loss[i]`` are the losses of the parameters *before* update
    ``i``, as the lecture records them, for every epoch run; ``final_train_loss`` and
    ``final_val_loss`` are those of the returned ``params``. ``diverged_epoch`` is the first
    epoch whose loss is NaN or infinite (the number of epochs run when only the final
    parameters are), else ``None``. With ``patience``, ``params`` are the best seen:
    ``best_epoch`` is ``i`` for the parameters before update ``i`` (the number of epochs run
    for the final ones), and ``stopped_early`` says whether training ended before ``epochs``.
    """

    params: list
    train_loss: np.ndarray
    val_loss: np.ndarray
    final_train_loss: float
    final_val_loss: float
    diverged_epoch: int | None
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def diverged(self) -> bool:
        return self.diverged_epoch is not None


@dataclasses.dataclass(frozen=True)
class _GradientDescent:
    """The lecture's hand-written update; its state is the (traced) learning rate."""

    def step(self, params, grads, learning_rate):
        return jax.tree.map(lambda p, g: p - learning_rate * g, params, grads), learning_rate


@dataclasses.dataclass(frozen=True)
class _Optax:
    """Any ``optax.GradientTransformation``; equal (so cache-hitting) for the same object."""

    optimizer: optax.GradientTransformation

    def step(self, params, grads, opt_state):
        updates, opt_state = self.optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state


class _Best(NamedTuple):
    """The parameters with the lowest validation loss seen so far, and when they were seen."""

    val_loss: jax.Array
    epoch: jax.Array
    params: list


def _keep_better(best, val_loss, epoch, params):
    improved = val_loss < best.val_loss  # NaN never improves
    candidate = _Best(val_loss, epoch, params)
    return jax.tree.map(lambda new, old: jnp.where(improved, new, old), candidate, best)


@functools.partial(jax.jit, static_argnames=("rule", "layer", "length"))
def _run_epochs(params, rule_state, best, first_epoch, data, *, rule, layer, length):
    x, y, x_val, y_val = data

    def epoch(carry, epoch_index):
        params, rule_state, best = carry
        train_loss, grads = jax.value_and_grad(mse)(params, x, y, layer)
        val_loss = mse(params, x_val, y_val, layer)
        if best is not None:
            best = _keep_better(best, val_loss, epoch_index, params)
        params, rule_state = rule.step(params, grads, rule_state)
        return (params, rule_state, best), (train_loss, val_loss)

    epochs = first_epoch + jnp.arange(length)
    (params, rule_state, best), (train_loss, val_loss) = jax.lax.scan(
        epoch, (params, rule_state, best), epochs
    )
    end_losses = jnp.stack([mse(params, x, y, layer), mse(params, x_val, y_val, layer)])
    if best is not None:
        best = _keep_better(best, end_losses[1], first_epoch + length, params)
    return params, rule_state, best, train_loss, val_loss, end_losses


def _train(rule, rule_state, params, data, epochs, layer, progress, chunk_epochs, patience):
    chunk_epochs = _checks.check_chunk_epochs(chunk_epochs)
    best = None
    if patience is not None:
        patience = _checks.check_patience(patience)
        # Checked between chunks: short enough not to overshoot far, long enough that
        # training stays a few compiled calls rather than one per epoch.
        chunk_epochs = min(chunk_epochs, max(patience, MIN_PATIENCE_CHUNK))
        best = _Best(jnp.float32(jnp.inf), jnp.int32(0), params)
    elif progress is None:
        chunk_epochs = epochs  # nothing to report or decide between chunks: one program
    train_chunks, val_chunks = [], []
    done = 0
    while done < epochs:
        length = min(chunk_epochs, epochs - done)
        params, rule_state, best, train_loss, val_loss, end_losses = _run_epochs(
            params, rule_state, best, jnp.int32(done), data, rule=rule, layer=layer, length=length
        )
        train_chunks.append(train_loss)
        val_chunks.append(val_loss)
        done += length
        if progress is not None:
            progress(done, epochs, float(end_losses[0]))
        if best is not None and done - int(best.epoch) > patience:
            break
    train_loss = np.asarray(jnp.concatenate(train_chunks))
    val_loss = np.asarray(jnp.concatenate(val_chunks))
    final_train, final_val = (float(v) for v in np.asarray(end_losses))
    # A single run is a batch of one for the divergence rule that ensembles use.
    diverged_epoch = int(
        first_non_finite(train_loss[None], val_loss[None], final_train, final_val)[0]
    )
    best_epoch = None
    if best is not None:
        best_epoch = int(best.epoch)
        params = best.params
        if best_epoch < done:
            final_train, final_val = float(train_loss[best_epoch]), float(val_loss[best_epoch])
    return TrainResult(
        params=params,
        train_loss=train_loss,
        val_loss=val_loss,
        final_train_loss=final_train,
        final_val_loss=final_val,
        diverged_epoch=None if diverged_epoch < 0 else diverged_epoch,
        best_epoch=best_epoch,
        stopped_early=done < epochs,
    )


def first_non_finite(train_loss, val_loss, final_train, final_val):
    """Per run (leading axis): the first epoch whose loss is NaN or infinite, the number of
    epochs when only the final parameters are, else -1."""
    bad = ~(np.isfinite(train_loss) & np.isfinite(val_loss))
    final_bad = ~(np.isfinite(final_train) & np.isfinite(final_val))
    first = np.where(bad.any(axis=1), bad.argmax(axis=1), train_loss.shape[1])
    return np.where(bad.any(axis=1) | final_bad, first, -1)


def _prepare(params, x, y, x_val, y_val, epochs):
    params, sizes = _checks.check_params(params)
    x, y = _checks.check_data(x, y, sizes)
    x_val, y_val = _checks.check_data(x_val, y_val, sizes, names=("x_val", "y_val"))
    return params, (x, y, x_val, y_val), _checks.check_epochs(epochs)


def train_gradient_descent(
    params,
    x,
    y,
    x_val,
    y_val,
    *,
    epochs: int,
    learning_rate: float,
    layer: Callable = tanh_layer,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int = 500,
    patience: int | None = None,
) -> TrainResult:
    """Train with the lecture's update ``p - learning_rate * g`` on every leaf.

    ``progress(epochs_done, epochs, train_loss)``, if given, is called after each chunk of
    ``chunk_epochs`` epochs; without it the whole run is a single compiled call. With
    ``patience``, training stops once the validation loss has not improved for that many
    epochs (checked between chunks of about ``patience`` epochs, at least 50) and the best
    parameters are returned. The learning rate is traced, so changing it does not recompile.
    """
    params, data, epochs = _prepare(params, x, y, x_val, y_val, epochs)
    learning_rate = jnp.float32(_checks.check_learning_rate(learning_rate))
    return _train(
        _GradientDescent(),
        learning_rate,
        params,
        data,
        epochs,
        layer,
        progress,
        chunk_epochs,
        patience,
    )


def train_optax(
    params,
    optimizer: optax.GradientTransformation,
    x,
    y,
    x_val,
    y_val,
    *,
    epochs: int,
    layer: Callable = tanh_layer,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int = 500,
    patience: int | None = None,
) -> TrainResult:
    """Train with any optax optimizer (``optax.sgd``, ``optax.adam``, ``optax.chain(...)``).

    Pass the same optimizer object to reuse the compiled program; ``progress``,
    ``chunk_epochs`` and ``patience`` are as for :func:`train_gradient_descent`.
    """
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            f"optimizer must be an optax.GradientTransformation, got {type(optimizer).__name__}"
        )
    params, data, epochs = _prepare(params, x, y, x_val, y_val, epochs)
    rule = _Optax(optimizer)
    return _train(
        rule, optimizer.init(params), params, data, epochs, layer, progress, chunk_epochs, patience
    )
