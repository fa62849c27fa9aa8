"""One compiled chunk of epochs: the program the training engine (``_engine``) runs.

Every member's forward, backward and update for a traced number of epochs in one loop (a
``while_loop`` that also stops when patience runs out, where there is patience), the
per-epoch losses written into buffers, and each member's best parameters kept as it goes.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._flat_parameters import FlatLayout


class Best(NamedTuple):
    """Per member: the lowest validation loss seen so far, when, and with which parameters."""

    val_loss: jax.Array  # (members,)
    epoch: jax.Array  # (members,)
    # (members, parameters), each member's parameters as one vector (FlatLayout): one select
    # an epoch, where a select per leaf cost about 1 us each on XLA's CPU backend (11 of one
    # network's 36 us epoch)
    params: jax.Array
    stopped: jax.Array  # (members,), all alike: patience has ended the run


class ChunkState(NamedTuple):
    params: list
    opt_state: object
    best: Best | None


def _keep_better(best, val_loss, epoch, params):
    # Kept and compared in float32, as the loss buffers keep them (float64 parameters under x64
    # give float64 losses: compared unrounded, a loss could improve on its own rounding).
    val_loss = val_loss.astype(best.val_loss.dtype)
    improved = val_loss < best.val_loss  # NaN never improves

    def pick(new, old):
        return jnp.where(improved.reshape(-1, *(1,) * (new.ndim - 1)), new, old)

    epoch = jnp.broadcast_to(epoch, improved.shape)
    new = (val_loss, epoch, FlatLayout.of_members(params).flatten(params))
    return Best(*map(pick, new, best[:3]), best.stopped)


# XLA's CPU backend hands reductions to YNNPACK by default, which for the engine's per-member
# losses of an ensemble cost more than all the rest of an epoch outside the network: 64 Adam
# members on two devices, 300 against 127 µs an epoch (dots stay with YNNPACK; single runs
# and the plain network are not affected). A jaxlib that does not know the option compiles
# chunks with its defaults.
TUNED_COMPILER_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"
}


@functools.cache
def compiled_chunk():
    """The jitted chunk, with TUNED_COMPILER_OPTIONS where this jaxlib accepts them."""
    static = ("update", "predict")
    try:
        # A host array: jnp.zeros would compile a program of its own.
        jax.jit(jnp.sum, compiler_options=TUNED_COMPILER_OPTIONS).lower(np.zeros(2)).compile()
    except jax.errors.JaxRuntimeError:
        return jax.jit(_run_chunk, static_argnames=static)
    return jax.jit(_run_chunk, static_argnames=static, compiler_options=TUNED_COMPILER_OPTIONS)


def _run_chunk(state, buffer, epochs, first_epoch, limits, data, *, update, predict):
    """Up to ``epochs`` epochs from ``first_epoch``; returns the state, the loss buffers, the
    losses of the parameters reached and, with patience (``state.best``), the epochs run.

    ``limits`` is ``(the run's epochs, patience)``. With patience the loop stops before an
    epoch once no member's validation loss has improved for more than patience epochs, so
    where a run stops, and what it keeps, never depends on where its chunks end (the host
    sizes them by measured time). A chunk that ends the run also weighs its end losses.
    """
    x, y, x_val, y_val = data
    run_epochs, patience = limits

    def losses(params):
        """Each member's training and validation loss, ``(members,)`` each."""
        predictions = predict(params, x)
        train = _mean_squared(predictions, y)
        if x_val is None:  # the validation inputs are the training inputs: one pass serves both
            return train, _mean_squared(predictions, y_val)
        return train, _mean_squared(predict(params, x_val), y_val)

    def summed(params):
        train, val = losses(params)
        return train.sum(), (train, val)  # members are independent: d(sum)/d(member) = own grad

    def epoch(i, carry):
        params, opt_state, best, train_buffer, val_buffer = carry
        (_, (train_loss, val_loss)), grads = jax.value_and_grad(summed, has_aux=True)(params)
        if best is not None:
            best = _keep_better(best, val_loss, first_epoch + i, params)
        updates, opt_state = jax.vmap(update)(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        # i < epochs <= the buffers' length: an update in place needs no bounds check (a
        # scatter, `.at[i].set`, costs two more XLA steps an epoch to check them).
        train_buffer = _write_row(train_buffer, train_loss, i)
        val_buffer = _write_row(val_buffer, val_loss, i)
        return params, opt_state, best, train_buffer, val_buffer

    if state.best is None:
        params, opt_state, best, train_buffer, val_buffer = jax.lax.fori_loop(
            0, epochs, epoch, (*state, buffer, buffer)
        )
        end_losses = jnp.stack(losses(params))
        return ChunkState(params, opt_state, best), train_buffer, val_buffer, end_losses, None

    def deadline(best):
        """The chunk's epochs the run cannot stop before: before epoch ``first_epoch + i``,
        ``best`` has weighed the epochs before it, and the run stops once no member has
        improved for more than patience epochs; improvements only push that later. Once
        patience has ended the run, none: the host queues a chunk before it reads whether the
        previous one stopped, and the end weighing below could otherwise reopen the run."""
        open_until = jnp.minimum(epochs, best.epoch.max() + patience + 1 - first_epoch)
        return jnp.where(best.stopped.any(), 0, open_until)

    # The epochs up to the deadline run without looking at patience: deciding the stop at
    # every epoch gathered every member's best epoch from every device at every epoch (an
    # ensemble sharded over two CPU devices: 157 against 82 us an epoch).
    def until_deadline(carry):
        i, best = carry[0], carry[3]
        end = deadline(best)
        return end, *jax.lax.fori_loop(i, end, epoch, carry[1:])

    ran, params, opt_state, best, train_buffer, val_buffer = jax.lax.while_loop(
        lambda carry: carry[0] < deadline(carry[3]),
        until_deadline,
        (jnp.int32(0), *state, buffer, buffer),
    )
    end_losses = jnp.stack(losses(params))
    stopped = ran < epochs  # by patience, in this chunk or an earlier one
    # A chunk that started stopped has nothing new to weigh (its parameters were weighed).
    ends_run = (stopped | (first_epoch + ran >= run_epochs)) & ~state.best.stopped.any()
    weighed = _keep_better(best, end_losses[1], first_epoch + ran, params)
    best = jax.tree.map(lambda new, old: jnp.where(ends_run, new, old), weighed, best)
    best = best._replace(stopped=best.stopped | stopped)
    ran = jnp.broadcast_to(ran, best.epoch.shape)  # laid out as the members, for the host
    return ChunkState(params, opt_state, best), train_buffer, val_buffer, end_losses, ran


def _write_row(buffer, row, i):
    # As `.at[i].set` would, the row takes the buffer's dtype (float64 losses under x64).
    return jax.lax.dynamic_update_index_in_dim(buffer, row.astype(buffer.dtype), i, 0)


def _mean_squared(predictions, y):
    return jnp.mean((predictions - y[None]) ** 2, axis=(1, 2))
