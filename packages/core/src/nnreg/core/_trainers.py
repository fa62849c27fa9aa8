"""One training run: the lecture's gradient descent or any optax optimizer.

A run is an ensemble of one member for the engine, so both trainers share its compiled
loop with ``train_ensemble``. The learning rate of gradient descent lives in its state, so
a second run at another rate reuses the compiled program; for ``train_optax`` pass the
same optimizer object to get the same reuse.
"""

from collections.abc import Callable

import jax
import optax

from . import _checks, _engine
from ._flat_parameters import FlatLayout
from ._mlp import tanh_layer
from ._predictors import member_predictor
from ._results import TrainResult
from ._update_rules import gradient_descent, updates_flat


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
    forward: Callable | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int | None = None,
    patience: int | None = None,
) -> TrainResult:
    """Train with the lecture's update ``p - learning_rate * g`` on every leaf.

    ``layer`` replaces the hidden layer ``tanh(x @ W + b)``; ``forward`` (a function
    ``(params, x) -> predictions``, such as ``nnreg.kernels.mlp_tanh``) replaces the whole
    network. ``progress(epochs_done, epochs, train_loss)``, if given, is called between the
    compiled chunks training runs in (each a fraction of a second; ``chunk_epochs`` caps
    their length). With ``patience``, training stops before the first epoch by which the
    validation loss has not improved for more than that many epochs (decided inside the
    compiled loop, so the stop never depends on how the epochs were split into chunks) and
    the best parameters are returned.
    """
    optimizer = gradient_descent(_checks.check_learning_rate(learning_rate))
    return _train(
        params, optimizer, (x, y, x_val, y_val),
        epochs, layer, forward, progress, chunk_epochs, patience,
    )  # fmt: skip


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
    forward: Callable | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int | None = None,
    patience: int | None = None,
) -> TrainResult:
    """Train with any optax optimizer (``optax.sgd``, ``optax.adam``, ``optax.chain(...)``).

    Pass the same optimizer object to reuse the compiled program; the other arguments are
    as for :func:`train_gradient_descent`.
    """
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            f"optimizer must be an optax.GradientTransformation, got {type(optimizer).__name__}"
        )
    return _train(
        params, optimizer, (x, y, x_val, y_val),
        epochs, layer, forward, progress, chunk_epochs, patience,
    )  # fmt: skip


def _train(params, optimizer, data, epochs, layer, forward, progress, chunk, patience):
    params, sizes = _checks.check_params(params)
    x, y, x_val, y_val = data
    data = _engine.share_inputs(
        (
            *_checks.check_data(x, y, sizes),
            *_checks.check_data(x_val, y_val, sizes, ("x_val", "y_val")),
        )
    )
    # Committed to one device once: the chunks' outputs are, and inputs placed alike let the
    # first chunk's compilation serve every later one.
    device = jax.devices()[0]
    data = jax.device_put(data, device)
    layout = FlatLayout.of(params) if updates_flat(optimizer) else None
    if layout is not None:
        params = layout.flatten(params)
    members = jax.tree.map(lambda leaf: leaf[None], params)
    predict = member_predictor(layer, forward, layout=layout)
    outcome = _engine.run(
        jax.device_put(members, device),
        optimizer.update,
        jax.device_put(_engine.one_member(optimizer.init, params), device),
        data,
        epochs=_checks.check_epochs(epochs),
        predict=predict,
        progress=_checks.check_callable(progress, "progress"),
        patience=_checks.check_patience(patience),
        chunk_epochs=_checks.check_chunk_epochs(chunk),
    )
    train_loss, val_loss = outcome.train_loss[0], outcome.val_loss[0]
    final_train, final_val = float(outcome.final_train_loss[0]), float(outcome.final_val_loss[0])
    if layout is None:
        kept = _engine.first_member(outcome.params)
    else:  # split on the host: split eagerly on the device, each piece compiled (0.1 s a process)
        kept = jax.device_put(layout.unflatten(_engine.to_host(outcome.params)[0]), device)
    return TrainResult(
        params=kept,
        train_loss=train_loss,
        val_loss=val_loss,
        final_train_loss=final_train,
        final_val_loss=final_val,
        diverged_epoch=int(outcome.diverged_epoch[0]),
        best_epoch=None if outcome.best_epoch is None else int(outcome.best_epoch[0]),
        stopped_early=outcome.stopped_early,
    )
