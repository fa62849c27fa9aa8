"""The one training engine: every member of a run trains inside compiled, time-bounded chunks.

A single run is an ensemble of one. Parameter leaves carry a leading member axis, the
optimizer state is the ``vmap`` of an optax ``(init, update)`` pair, and each chunk is one
compiled loop over epochs. Chunks grow until one takes about ``TARGET_CHUNK_SECONDS``, so a
4000-epoch run is a handful of calls, Ctrl-C is honoured within a chunk at any epoch count
(and at once while the chunk compiles), and progress and early stopping are decided between
chunks. The epoch count of a chunk is a traced argument: changing it never recompiles.
"""

import collections
import contextlib
import functools
import signal
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec

from ._results import divergence_epoch

TARGET_CHUNK_SECONDS = 0.2
FIRST_CHUNK_EPOCHS = 16  # its time sizes the next chunk
MAX_CHUNK_GROWTH = 8
MAX_CHUNK_EPOCHS = 4096  # the loss buffers of one chunk hold this many epochs


class _Best(NamedTuple):
    """Per member: the lowest validation loss seen so far, when, and with which parameters."""

    val_loss: jax.Array  # (members,)
    epoch: jax.Array  # (members,)
    params: list


class _State(NamedTuple):
    params: list
    opt_state: object
    best: _Best | None


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


def _keep_better(best, val_loss, epoch, params):
    improved = val_loss < best.val_loss  # NaN never improves

    def pick(new, old):
        return jnp.where(improved.reshape(-1, *(1,) * (new.ndim - 1)), new, old)

    epoch = jnp.broadcast_to(epoch, improved.shape)
    return jax.tree.map(pick, _Best(val_loss, epoch, params), best)


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
        jax.jit(jnp.sum, compiler_options=TUNED_COMPILER_OPTIONS).lower(jnp.zeros(2)).compile()
    except jax.errors.JaxRuntimeError:
        return jax.jit(_run_chunk, static_argnames=static)
    return jax.jit(_run_chunk, static_argnames=static, compiler_options=TUNED_COMPILER_OPTIONS)


@functools.lru_cache(maxsize=32)
def compiled_init(init):
    """``jax.vmap(init)``, compiled once per ``init`` function: the members' optimizer state.

    Run eagerly, Adam's vmapped init dispatches dozens of tiny operations one by one, about
    6 ms a run; compiled, 0.07 ms, but compiling costs 20-130 ms. So only functions that are
    reused go through here (train_ensemble's, from rate_in_state); a single run's state is
    `one_member`'s.
    """
    return jax.jit(jax.vmap(init))


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


def _run_chunk(state, buffer, epochs, first_epoch, data, *, update, predict):
    x, y, x_val, y_val = data

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

    params, opt_state, best, train_buffer, val_buffer = jax.lax.fori_loop(
        0, epochs, epoch, (*state, buffer, buffer)
    )
    end_losses = jnp.stack(losses(params))
    if best is not None:
        best = _keep_better(best, end_losses[1], first_epoch + epochs, params)
    return _State(params, opt_state, best), train_buffer, val_buffer, end_losses


def _write_row(buffer, row, i):
    # As `.at[i].set` would, the row takes the buffer's dtype (float64 losses under x64).
    return jax.lax.dynamic_update_index_in_dim(buffer, row.astype(buffer.dtype), i, 0)


def _mean_squared(predictions, y):
    return jnp.mean((predictions - y[None]) ** 2, axis=(1, 2))


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
    With ``patience``, training stops once no member's validation loss has improved for that
    many epochs, and each member keeps its best parameters.
    """
    capacity = min(epochs, chunk_epochs or MAX_CHUNK_EPOCHS, MAX_CHUNK_EPOCHS)
    best = None
    if patience is not None:
        # Decided between chunks, one at a time: the stop overshoots by less than patience.
        capacity = min(capacity, patience)
        members = jax.tree.leaves(params)[0].shape[0]
        best = _Best(
            jnp.full((members,), jnp.inf, jnp.float32), jnp.zeros((members,), jnp.int32), params
        )
    state = _State(params, opt_state, best)
    buffer = _loss_buffer(capacity, params)
    run_chunk = compiled_chunk()
    train_chunks, val_chunks = [], []
    dispatched, done, length = 0, 0, min(capacity, FIRST_CHUNK_EPOCHS)
    in_flight = []  # chunks dispatched and not yet read
    most_in_flight = 1 if patience is not None else 2
    last_read = time.perf_counter()  # the first chunk's time bounds the next one too
    limit = epochs
    with _interrupts_held() as interrupted:
        first_chunk = (state, buffer, jnp.int32(length), jnp.int32(0), data)
        signature = _chunk_signature(run_chunk, first_chunk, update, predict)
        if signature not in _compiled_chunks:
            _compile_interruptibly(
                lambda: run_chunk.lower(*first_chunk, update=update, predict=predict), interrupted
            )
            _compiled_chunks[signature] = True
            if len(_compiled_chunks) > MAX_COMPILED_CHUNKS_KNOWN:
                _compiled_chunks.popitem(last=False)
        while True:
            # Without patience the next chunk is queued before the previous one is read, so
            # the devices never wait for the host.
            if dispatched < limit and len(in_flight) < most_in_flight:
                length = min(length, limit - dispatched)
                state, train_buffer, val_buffer, end_losses = run_chunk(
                    state, buffer, jnp.int32(length), jnp.int32(dispatched), data,
                    update=update, predict=predict,
                )  # fmt: skip
                in_flight.append((length, train_buffer, val_buffer, end_losses, state.best))
                dispatched += length
                if len(in_flight) < most_in_flight and dispatched < limit:
                    continue
            if not in_flight:
                break
            chunk, train_buffer, val_buffer, end_losses, chunk_best = in_flight.pop(0)
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
            if chunk_best is not None and (done - to_host(chunk_best.epoch) > patience).all():
                limit = dispatched  # stop: read what is in flight, dispatch nothing more
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
        state.best.params,
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


def _loss_buffer(capacity, params):
    """NaNs for one chunk's per-epoch losses, ``(capacity, members)``, laid out over the
    devices as the members are (else XLA may keep them whole on each device and gather every
    member's losses at every epoch)."""
    leaf = jax.tree.leaves(params)[0]
    buffer = np.full((capacity, leaf.shape[0]), np.nan, np.float32)
    sharding = getattr(leaf, "sharding", None)
    if isinstance(sharding, NamedSharding):
        sharding = NamedSharding(sharding.mesh, PartitionSpec(None, *sharding.spec[:1]))
    if sharding is None:
        return jnp.asarray(buffer)
    # Built from host data on every process, as jax.distributed needs (device_put would first
    # check that every process passed equal values, which NaNs never are).
    return jax.make_array_from_callback(buffer.shape, sharding, lambda index: buffer[index])


def _mean_of_finite(values):
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def to_host(array):
    # Every process holds the gathered values after jax.distributed.initialize().
    if jax.process_count() > 1:
        return np.asarray(multihost_utils.process_allgather(array, tiled=True))
    return np.asarray(array)


def _compile_interruptibly(lower, interrupted):
    """Compile the chunk ``lower()`` traces, on another thread, so that Ctrl-C need not wait.

    XLA's compilation holds the calling thread for a second or more and no Python signal
    handler runs meanwhile. Tracing stays on this thread, under the caller's JAX settings;
    the jitted chunk then finds the compiled program in its cache (or in the persistent
    compilation cache). On Ctrl-C, KeyboardInterrupt is raised at once and the compilation
    finishes unobserved: the thread is not a daemon, so an interpreter that exits normally
    waits for it rather than tearing XLA down under it.
    """
    lowered = lower()
    failure = []

    def compile_lowered():
        try:
            lowered.compile()
        except BaseException as err:  # re-raised on the caller's thread
            failure.append(err)

    compiling = threading.Thread(target=compile_lowered, name="nnreg-compile")
    compiling.start()
    while compiling.is_alive():
        compiling.join(0.02)
        if interrupted():
            raise KeyboardInterrupt
    if failure:
        raise failure[0]


@contextlib.contextmanager
def _interrupts_held():
    """Hold Ctrl-C while chunks compute; yield a check for whether one arrived.

    The loop raises KeyboardInterrupt itself once nothing computes: an interrupt that
    unwinds while XLA still runs can crash the interpreter on its way out. Chunks last a
    fraction of a second, so the wait is short. Only the main thread can install a handler,
    and only Python's default one is replaced.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:  # one that arrived after the last chunk was read
        raise KeyboardInterrupt
