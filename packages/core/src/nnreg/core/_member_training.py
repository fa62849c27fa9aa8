"""Training a fit's networks: one run, or an ensemble as one compiled program.

Used by ``Regressor.fit``; each member keeps its own best parameters and is refused, with
its index, if it diverged or learned nothing.
"""

import functools
from typing import NamedTuple

import numpy as np
import optax

from ._ensemble import train_ensemble
from ._errors import TrainingError
from ._mlp import init_arrays, init_params
from ._results import TrainResult
from ._trainers import train_optax
from ._update_rules import flat_update, optimizer_factory


def train_members(
    sizes, x, y, x_val, y_val, *, members, seed, optimizer, learning_rate, weight_decays,
    epochs, predictor, progress, patience, added_to_plane,
):  # fmt: skip
    """For each weight decay in ``weight_decays``, ``members`` networks (seeds ``seed``,
    ``seed + 1``, ...): a list of their kept parameters and losses, one per weight decay.
    Several weight decays train in one program, each with the same seeds, so that they
    differ in the decay alone.

    ``added_to_plane``: the networks learn what a plane leaves, so their output layer starts
    at zero (each network starts as the plane itself; its hidden layers, drawn from its seed,
    still differ from the others'). A network that never improved on that start (without
    diverging) is the plane alone, and ``at_plane`` counts such members. On small data sets
    that is common, and the plane is the better model.
    """
    init = _residual_init if added_to_plane else init_params
    common = dict(
        layer=predictor.layer,
        forward=predictor.forward,
        progress=progress,
        patience=patience,
    )
    if members == 1 and len(weight_decays) == 1:
        params = init(sizes, seed=seed)
        rule = _optimizer(optimizer, learning_rate, weight_decays[0])
        result = train_optax(params, rule, x, y, x_val, y_val, epochs=epochs, **common)
        at_plane = _at_plane(result, added_to_plane, learning_rate)
        return [
            _Trained(
                [_as_numpy(result.params)],
                result.train_loss,
                result.val_loss,
                result.best_epoch,
                result.stopped_early,
                result.diverged_epoch,
                int(at_plane),
            )
        ]
    several = len(weight_decays) > 1
    result = train_ensemble(
        x, y, x_val, y_val,
        seeds=[seed + k for _ in weight_decays for k in range(members)],
        learning_rates=learning_rate,
        epochs=epochs,
        optimizer=(
            _decay_in_state_factory(optimizer)
            if several
            else _optimizer_factory(optimizer, weight_decays[0])
        ),
        layer_sizes=sizes,
        init=init,
        weight_decays=[d for d in weight_decays for _ in range(members)] if several else None,
        **common,
    )  # fmt: skip
    groups, failures = [], []
    for g, decay in enumerate(weight_decays):
        indices = range(g * members, (g + 1) * members)
        try:
            groups.append(_group(result, indices, added_to_plane, learning_rate, patience))
        except TrainingError as err:
            if not several:
                raise
            failures.append((decay, err))
            groups.append(None)  # not a candidate: the fit goes on with the others
    if len(failures) == len(weight_decays):
        (decay, err), others = failures[0], ", ".join(f"{d:g}" for d, _ in failures[1:])
        raise TrainingError(f"weight decay {decay:g}: {err} (and so at {others})") from None
    return groups


def _group(result, indices, added_to_plane, learning_rate, patience):
    """The members ``indices`` of an ``EnsembleResult`` as one fit's networks. Their own
    early stop may have come before the run's, which went on for other members."""
    indices = list(indices)
    at_plane = [
        _at_plane(
            _member_result(result, k),
            added_to_plane,
            learning_rate,
            k - indices[0] if len(indices) > 1 else None,
        )
        for k in indices
    ]
    best_epoch = None if result.best_epoch is None else int(result.best_epoch[indices].max())
    epochs_run = result.train_loss.shape[-1]
    ran_on = patience is not None and best_epoch is not None
    ran_on = ran_on and best_epoch + patience + 1 < epochs_run
    return _Trained(
        [_as_numpy(result.member_params(k)) for k in indices],
        result.train_loss[indices].mean(axis=0),
        result.val_loss[indices].mean(axis=0),
        best_epoch,
        result.stopped_early or ran_on,
        int(result.diverged_epoch[indices].max()),
        sum(at_plane),
        ran_on,
    )


class _Trained(NamedTuple):
    members: list
    train_loss: np.ndarray  # (epochs,): the members' mean
    val_loss: np.ndarray
    best_epoch: int | None  # the latest of the members' best epochs
    stopped_early: bool
    diverged_epoch: int
    at_plane: int  # members whose networks gave way to the plane alone
    ran_on: bool = False  # patience ended these members' training before the run's end


def _as_numpy(params):
    return [{k: np.asarray(v) for k, v in layer.items()} for layer in params]


def _member_result(result, k):
    """Member ``k`` of an ``EnsembleResult`` as the fields ``_check_learned`` reads."""
    return TrainResult(
        params=None,
        train_loss=result.train_loss[k],
        val_loss=result.val_loss[k],
        final_train_loss=float(result.final_train_loss[k]),
        final_val_loss=float(result.final_val_loss[k]),
        diverged_epoch=int(result.diverged_epoch[k]),
        best_epoch=None if result.best_epoch is None else int(result.best_epoch[k]),
    )


@functools.lru_cache(maxsize=16)
def _optimizer_factory(name, weight_decay):
    """``learning_rate -> optimizer`` for train_ensemble; one object per setting, so that
    repeated fits reuse the compiled program.

    It updates each network's parameters as one flat vector (flat_update): an epoch then
    takes a handful of steps for the update and for keeping the best parameters, instead of
    a few per leaf. On diabetes (354 training rows, 10 inputs; 1000-epoch fits less 1-epoch
    ones), an epoch with early stopping went from 39 to 28-30 us for one network and from
    192 to 145 us for 8 networks on one device; 8 networks over two devices, which keep the
    tree, from 97 to 91-94 us.
    """
    rule = optimizer_factory(name)
    if weight_decay != 0:
        rule = _decayed(rule, weight_decay)
    return flat_update(rule)


@functools.lru_cache(maxsize=8)
def _decay_in_state_factory(name):
    """``(learning_rate, weight_decay) -> optimizer``, flat: members with different weight
    decays share one compiled program (each carries its decay in its optimizer state)."""
    rule = optimizer_factory(name)

    def decayed(learning_rate, weight_decay):
        return _with_decay(rule, learning_rate, weight_decay)

    return flat_update(decayed)


def _decayed(rule, weight_decay):
    return lambda learning_rate: _with_decay(rule, learning_rate, weight_decay)


def _with_decay(rule, learning_rate, weight_decay):
    return optax.chain(optax.add_decayed_weights(weight_decay), rule(learning_rate))


@functools.lru_cache(maxsize=16)
def _optimizer(name, learning_rate, weight_decay):
    # The same object for the same settings lets repeated fits reuse the compiled trainer.
    return _optimizer_factory(name, weight_decay)(learning_rate)


# A zero output layer rather than the lecture's random one: a random output adds a random
# function to the plane, which the early-stopped networks of small data sets never fully
# unlearned (on the held-out sets of benchmarks/fit_quality.py their test MSE then sat up to
# 1.5% above least squares; from the plane, at most 0.1% above it).
def _residual_init(sizes, seed):
    params = init_arrays(sizes, seed=seed)
    params[-1] = {k: np.zeros_like(v) for k, v in params[-1].items()}
    return params


def _at_plane(result, added_to_plane, learning_rate, member=None):
    """Whether the member kept its initial parameters added to a plane (a zero output
    layer: the plane alone) without diverging; otherwise its run is checked."""
    if added_to_plane and result.best_epoch == 0 and not result.diverged:
        return True
    _check_learned(result, learning_rate, member)
    return False


def _check_learned(result, learning_rate, member=None):
    """Refuse a run whose kept parameters give a non-finite loss or are the initial ones."""
    smaller = f"try a smaller learning rate than {learning_rate:g}"
    who = "" if member is None else f"ensemble member {member}: "
    if not np.isfinite([result.final_train_loss, result.final_val_loss]).all():
        raise TrainingError(
            f"{who}training diverged at epoch {result.diverged_epoch} (loss not finite); {smaller}"
        )
    if result.best_epoch == 0:
        if result.diverged:
            happened, hint = f"training diverged at epoch {result.diverged_epoch} and ", smaller
        elif _barely_moved(result.train_loss):
            happened = "the training loss barely moved and "
            hint = f"try a larger learning rate than {learning_rate:g}"
        else:
            happened, hint = "", f"try another learning rate than {learning_rate:g}"
        raise TrainingError(
            f"{who}nothing was learned: {happened}the validation loss never improved on the "
            f"initial weights; {hint}, or more epochs"
        )


def _barely_moved(train_loss):
    """Whether a run's training loss ended within 1% of where it started."""
    first, last = float(train_loss[0]), float(train_loss[-1])
    return abs(last - first) <= 0.01 * abs(first)
