"""Many members trained at once in one compiled program, the member axis sharded over devices.

Each member has its own initial parameters (seed) and learning rate (and, if asked, weight
decay); the engine trains them together, the tanh layers as batched products in a
feature-major layout.
"""

import inspect
from collections.abc import Callable, Sequence

import jax
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import _checks, _engine
from ._flat_parameters import FlatLayout
from ._mlp import LECTURE_LAYER_SIZES, init_arrays, init_params, tanh_layer
from ._predictors import member_predictor
from ._results import EnsembleResult
from ._update_rules import gradient_descent, rate_in_state, updates_flat

MEMBER_AXIS = "members"


def train_ensemble(
    x,
    y,
    x_val,
    y_val,
    *,
    seeds: Sequence[int],
    learning_rates: Sequence[float] | float,
    epochs: int,
    optimizer: Callable[..., optax.GradientTransformation] | None = None,
    layer_sizes=LECTURE_LAYER_SIZES,
    layer: Callable = tanh_layer,
    forward: Callable | None = None,
    devices=None,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int | None = None,
    patience: int | None = None,
    init: Callable = init_params,
    weight_decays: Sequence[float] | None = None,
) -> EnsembleResult:
    """Train one member per ``(seeds[i], learning_rates[i])`` pair, all in one program.

    The pairs are taken as given, not crossed: ``seeds=[1, 2], learning_rates=[1e-3, 1e-2]``
    is two members. For a grid, repeat each: ``seeds=[s for lr in rates for s in seeds]``
    with ``learning_rates=[lr for lr in rates for s in seeds]``. One learning rate serves
    every seed.

    ``optimizer`` is ``None`` for the lecture's gradient descent, or an optax factory taking
    ``learning_rate`` (``optax.sgd``, ``optax.adam``, ...), wrapped in
    ``optax.inject_hyperparams`` so that every learning rate shares one compilation. The
    member axis is sharded over ``devices`` (default: all of ``jax.devices()``, every host's
    after ``jax.distributed.initialize()``); a member count that the device count does not
    divide is padded, and the padding dropped. ``layer``, ``forward``, ``progress`` (called
    with the members' mean training loss), ``chunk_epochs`` and ``patience`` (per member;
    training stops once no member improves) are as for ``train_gradient_descent``.
    ``init(layer_sizes, seed=...)`` makes each member's initial parameters (default: the
    lecture's ``init_params``). ``weight_decays`` (one, or one per member): the members differ
    in weight decay too, in the same program; ``optimizer`` then takes ``(learning_rate,
    weight_decay)``.
    """
    seeds = _checks.check_seeds(seeds)
    learning_rates = _checks.check_learning_rates(learning_rates, len(seeds))
    sizes = _checks.check_layer_sizes(layer_sizes)
    data = _engine.share_inputs(
        (
            *_checks.check_data(x, y, sizes),
            *_checks.check_data(x_val, y_val, sizes, names=("x_val", "y_val")),
        )
    )
    devices = _checks.check_devices(jax.devices() if devices is None else devices)
    factory = _checks.check_callable(optimizer, "optimizer") or gradient_descent
    if weight_decays is not None:
        decays = _checks.check_weight_decays(weight_decays, len(seeds))
        if "weight_decay" not in inspect.signature(factory).parameters:
            raise TypeError(
                "with weight_decays, optimizer must be a factory taking (learning_rate, "
                "weight_decay)"
            )
    init = _checks.check_callable(init, "init")

    members = len(seeds)
    padded = -(-members // len(devices)) * len(devices)
    # Padding members repeat the last one; they are trained and thrown away.
    pad = np.arange(padded).clip(max=members - 1)
    if init is init_params:  # the same draws, kept on the host
        init = init_arrays
    stacked = jax.tree.map(
        lambda *leaves: np.stack(leaves),
        *[jax.tree.map(np.asarray, init(sizes, seed=int(s))) for s in seeds[pad]],
    )
    mesh = Mesh(np.asarray(devices), (MEMBER_AXIS,))
    layout = None
    # Flat parameters (see _flat_parameters) on one device only: sharded over several, a flat
    # rule updating the tree was faster (measured in commit 322a000; cause not found).
    if updates_flat(factory) and len(devices) == 1:
        layout = FlatLayout.of_members(stacked)
        stacked = layout.flatten(stacked)
    predict = member_predictor(layer, forward, mesh, layout)
    by_member = NamedSharding(mesh, PartitionSpec(MEMBER_AXIS))
    params = _to_devices(stacked, by_member)
    rates = _to_devices(learning_rates[pad].astype(np.float32), by_member)
    update, init = rate_in_state(factory, with_weight_decay=weight_decays is not None)
    if weight_decays is not None:
        rates = {
            "learning_rate": rates,
            "weight_decay": _to_devices(decays[pad].astype(np.float32), by_member),
        }
    outcome = _engine.run(
        params,
        update,
        _engine.compiled_init(init, by_member)(params, rates),
        _to_devices(data, NamedSharding(mesh, PartitionSpec())),
        epochs=_checks.check_epochs(epochs),
        predict=predict,
        progress=_checks.check_callable(progress, "progress"),
        patience=_checks.check_patience(patience),
        chunk_epochs=_checks.check_chunk_epochs(chunk_epochs),
    )
    kept = slice(0, members)
    params = jax.tree.map(lambda leaf: _engine.to_host(leaf)[kept], outcome.params)
    return EnsembleResult(
        seeds=seeds,
        learning_rates=learning_rates,
        params=params if layout is None else layout.unflatten(params),
        train_loss=outcome.train_loss[kept],
        val_loss=outcome.val_loss[kept],
        final_train_loss=outcome.final_train_loss[kept],
        final_val_loss=outcome.final_val_loss[kept],
        diverged_epoch=outcome.diverged_epoch[kept],
        devices=len(devices),
        best_epoch=None if outcome.best_epoch is None else outcome.best_epoch[kept],
        stopped_early=outcome.stopped_early,
    )


def _to_devices(tree, sharding):
    # make_array_from_callback builds a global array from host data on every process, so the
    # same code serves one host and many after jax.distributed.initialize().
    return jax.tree.map(
        lambda a: jax.make_array_from_callback(a.shape, sharding, lambda index: a[index]), tree
    )
