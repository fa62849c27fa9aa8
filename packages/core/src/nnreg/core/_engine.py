"""The one training engine: every member of a run trains inside compiled, time-bounded chunks.

A single run is an ensemble of one. Parameter leaves carry a leading member axis, the
optimizer state is the ``vmap`` of an optax ``(init, update)`` pair, and each chunk is one
compiled loop over epochs. Chunks grow until one takes about ``TARGET_CHUNK_SECONDS``, so a
4000-epoch run is a handful of calls, Ctrl-C is honoured within a chunk at any epoch count
(and at once while the chunk compiles), and progress is reported between chunks; early
stopping is decided inside them. The epoch count of a chunk is a traced argument: changing it
never recompiles.
"""

import collections
import functools
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec

from . import _epoch_chunk, _interrupt_safety
from ._flat_parameters import FlatLayout
from ._results import divergence_epoch

TARGET_CHUNK_SECONDS = 0.2
FIRST_CHUNK_EPOCHS = 16  # its time sizes the next chunk
MAX_CHUNK_GROWTH = 8
MAX_CHUNK_EPOCHS = 4096  # the loss buffers of one chunk hold this many epochs
MOST_IN_FLIGHT = 2  # chunks dispatched before the oldest is read


class Outcome(NamedTuple):
    """What the engine hands back, every array with a leading member axis."""

    params: list  # the kept parameters: the best seen with patience, else the last
    train_loss: np.ndarray  # (members, epochs run)
    val_loss: np.ndarray
    final_train_loss: np.ndarray  # (members,) of the kept parameters
    final_val_loss: np.ndarray
    diverged_epoch: np.ndarray  # (members,), -1 where every loss was finite
    best_epoch: np.ndarray | None
    stopped_early: bool


@functools.lru_cache(maxsize=32)
def compiled_init(init, sharding):
    """``jax.vmap(init)``, compiled once per ``init`` and layout: the members' optimizer state,
    laid out by ``sharding``, the members' layout, as the chunks return the state. (Left to
    XLA, some of it came out whole on every device, and the second chunk compiled the
    program again, 0.8 s of a first fit over two devices.)

    Run eagerly, Adam's vmapped init dispatches dozens of tiny operations one by one, about
    6 ms a run; compiled, 0.07 ms, but compiling costs 20-130 ms. So only functions that are
    reused go through here (train_ensemble's, from rate_in_state); a single run's state is
    `one_member`'s.
    """
    return jax.jit(jax.vmap(init), out_shardings=sharding)


def one_member(init, params):
    """``jax.vmap(init)`` of a single member: ``init(params)`` with a member axis added.

    The init runs unbatched (for Adam, a few dozen dispatches, about 1.5 ms, where tracing
    its vmap cost about 6 ms), and the axis is added in one compiled call, shared by every
    optimizer whose state has the same structure, so a new optimizer compiles nothing.
    """
    return _add_member_axis(init(params))


@jax.jit
def _add_member_axis(tree):
    return jax.tree.map(lambda leaf: leaf[None], tree)


@jax.jit
def first_member(tree):
    """Member 0 of every leaf: one dispatch, where slicing each leaf eagerly costs one each."""
    return jax.tree.map(lambda leaf: leaf[0], tree)


def share_inputs(data):
    """``(x, y, x_val, y_val)`` of host arrays with ``x_val`` replaced by None where it
    equals ``x``, as in the lecture (one grid, fresh noise): the training forward pass then
    gives the validation loss too, saving a third of each epoch's network passes."""
    x, y, x_val, y_val = data
    if x.shape == x_val.shape and np.array_equal(x, x_val):
        return x, y, None, y_val
    return data


def run(
    params,
    update: Callable,
    opt_state,
    data,
    *,
    epochs: int,
    predict: Callable,
    progress: Callable[[int, int, float], None] | None = None,
    patience: int | None = None,
    chunk_epochs: int | None = None,
) -> Outcome:
    """Train every member of ``params`` (leaves ``(members, ...)``) for up to ``epochs``.

    ``data`` is ``(x, y, x_val, y_val)``, ``x_val`` None where it is ``x`` (`share_inputs`).

    ``predict(params, x)`` gives ``(members, rows, outputs)`` and must be hashable (it is a
    static argument of the compiled chunk), and so must ``update``, an optax-style
    ``update(grads, state, params)``: pass the same objects to reuse the compiled program.
    ``opt_state`` is the member-wise state of ``update``. ``progress(done, epochs,
    mean_train_loss)`` is called after each chunk; ``chunk_epochs`` caps a chunk's length.
    With ``patience``, training stops before the first epoch by which no member's validation
    loss has improved for more than that many epochs (decided inside the compiled loop, so the
    stop is the same however the epochs fall into chunks), and each member keeps its best
    parameters.
    """
    capacity = min(epochs, chunk_epochs or MAX_CHUNK_EPOCHS, MAX_CHUNK_EPOCHS)
    members = jax.tree.leaves(params)[0].shape[0]
    best = None
    if patience is not None:
        # Laid out as the chunk returns them: arrays placed otherwise (jnp.full's default
        # device) made the second chunk compile the program again, 0.6 s of a first fit.
        best = _epoch_chunk.Best(
            _by_member(np.full((members,), np.inf, np.float32), params),
            _by_member(np.zeros((members,), np.int32), params),
            _as_flat(params),
            _by_member(np.zeros((members,), bool), params),
        )
    state = _epoch_chunk.ChunkState(params, opt_state, best)
    buffer = _by_member(np.full((capacity, members), np.nan, np.float32), params, member_axis=1)
    run_chunk = _epoch_chunk.compiled_chunk()
    train_chunks, val_chunks = [], []
    dispatched, done, length = 0, 0, min(capacity, FIRST_CHUNK_EPOCHS)
    in_flight = []  # chunks dispatched and not yet read
    last_read = time.perf_counter()  # the first chunk's time bounds the next one too
    limit = epochs
    # Patience of epochs - 1 or more never stops a run; clamped there (and epochs at most
    # 2**30), the chunk's sums of epochs stay within int32.
    limits = (jnp.int32(epochs), jnp.int32(min(patience or 0, epochs - 1)))
    with _interrupt_safety.interrupts_held() as interrupted:
        first_chunk = (state, buffer, jnp.int32(length), jnp.int32(0), limits, data)
        signature = _chunk_signature(run_chunk, first_chunk, update, predict)
        if signature not in _compiled_chunks:
            _interrupt_safety.compile_interruptibly(
                lambda: run_chunk.lower(*first_chunk, update=update, predict=predict), interrupted
            )
            _compiled_chunks[signature] = True
            if len(_compiled_chunks) > MAX_COMPILED_CHUNKS_KNOWN:
                _compiled_chunks.popitem(last=False)
        while True:
            # The next chunk is queued before the previous one is read, so the devices never
            # wait for the host (one queued after patience ran out runs no epoch).
            if dispatched < limit and len(in_flight) < MOST_IN_FLIGHT:
                length = min(length, limit - dispatched)
                state, train_buffer, val_buffer, end_losses, ran = run_chunk(
                    state, buffer, jnp.int32(length), jnp.int32(dispatched), limits, data,
                    update=update, predict=predict,
                )  # fmt: skip
                in_flight.append((length, train_buffer, val_buffer, end_losses, ran))
                dispatched += length
                if len(in_flight) < MOST_IN_FLIGHT and dispatched < limit:
                    continue
            if not in_flight:
                break
            chunk, train_buffer, val_buffer, end_losses, ran = in_flight.pop(0)
            ran = chunk if ran is None else int(to_host(ran)[0])
            if ran < chunk:  # patience ran out inside the chunk
                chunk = ran
                limit = dispatched  # dispatch nothing more; read what is in flight
            train_chunks.append(to_host(train_buffer)[:chunk])
            val_chunks.append(to_host(val_buffer)[:chunk])
            end_losses = to_host(end_losses)
            done += chunk
            now = time.perf_counter()
            growth = length * MAX_CHUNK_GROWTH
            growth = min(growth, int(chunk * TARGET_CHUNK_SECONDS / max(now - last_read, 1e-6)))
            length = max(1, min(capacity, growth))
            last_read = now
            if interrupted():
                # Nothing may compute while Python unwinds.
                jax.block_until_ready((state, in_flight))
                raise KeyboardInterrupt
            if progress is not None:
                progress(done, epochs, _mean_of_finite(end_losses[0]))
    train_loss = np.concatenate(train_chunks).T
    val_loss = np.concatenate(val_chunks).T
    final_train, final_val = end_losses
    diverged = divergence_epoch(train_loss, val_loss, final_train, final_val)
    if state.best is None:
        return Outcome(
            state.params, train_loss, val_loss, final_train, final_val, diverged, None, False
        )
    best_epoch = to_host(state.best.epoch)
    # Members whose best parameters are older than the end report the losses recorded then.
    rows = np.arange(len(best_epoch))
    recorded = np.minimum(best_epoch, done - 1)
    kept_train = np.where(best_epoch < done, train_loss[rows, recorded], final_train)
    kept_val = np.where(best_epoch < done, val_loss[rows, recorded], final_val)
    return Outcome(
        _as_tree(state.best.params, params),
        train_loss,
        val_loss,
        kept_train,
        kept_val,
        diverged,
        best_epoch,
        done < epochs,
    )


# Chunks compiled in this process, by what their compilation depends on: tracing a chunk
# again to find it in jit's cache cost 1-2 ms a run. One missing here (forgotten, or jit's
# cache cleared) is compiled again on another thread; one that jit forgot is compiled when
# called, as any jitted function is.
_compiled_chunks = collections.OrderedDict()
MAX_COMPILED_CHUNKS_KNOWN = 256


def _chunk_signature(run_chunk, args, update, predict):
    leaves, structure = jax.tree.flatten(args)
    described = tuple(
        (leaf.shape, leaf.dtype, getattr(leaf, "weak_type", False), getattr(leaf, "sharding", None))
        for leaf in leaves
    )
    return run_chunk, update, predict, structure, described, jax.config.jax_enable_x64


# The best parameters, kept flat (_epoch_chunk.Best), are joined and split on the host:
# compiled, that cost 0.02 and 0.1 s of compiling a first fit; eager, a dispatch (and a
# compilation) a leaf.
def _as_flat(params):
    """Each member's parameters as one vector, laid out as the members of ``params`` are."""
    host = jax.tree.map(to_host, params)
    return _by_member(FlatLayout.of_members(params).flatten(host), params)


def _as_tree(flat, params):
    """The members' flat parameters as a tree like ``params``, laid out as its members are."""
    tree = FlatLayout.of_members(params).unflatten(to_host(flat))
    return jax.tree.map(lambda leaf: _by_member(leaf, params), tree)


def _by_member(values, params, member_axis=0):
    """Host ``values`` on the devices, axis ``member_axis`` laid out as the members of
    ``params`` are (for the loss buffers, else XLA may keep them whole on each device and
    gather every member's losses at every epoch)."""
    sharding = getattr(jax.tree.leaves(params)[0], "sharding", None)
    if isinstance(sharding, NamedSharding):
        spec = [None] * values.ndim
        spec[member_axis] = sharding.spec[0] if sharding.spec else None
        sharding = NamedSharding(sharding.mesh, PartitionSpec(*spec))
    if sharding is None:
        return jnp.asarray(values)
    # Built from host data on every process, as jax.distributed needs (device_put would first
    # check that every process passed equal values, which NaNs never are).
    return jax.make_array_from_callback(values.shape, sharding, lambda index: values[index])


def _mean_of_finite(values):
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def to_host(array):
    # Every process holds the gathered values after jax.distributed.initialize().
    if jax.process_count() > 1:
        return np.asarray(multihost_utils.process_allgather(array, tiled=True))
    return np.asarray(array)
