"""Many members trained at once in one compiled program, the member axis sharded over devices.

Each member has its own initial parameters (seed) and learning rate. Members are stacked
along a leading axis; the tanh layers use batched ``einsum`` over that axis in a
feature-major layout, which XLA runs much faster than a ``vmap`` of the row-major network.
"""

import dataclasses
import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from . import _checks
from ._mlp import LECTURE_LAYER_SIZES, forward, init_params, tanh_layer
from ._trainers import _GradientDescent, _Optax, first_non_finite

MEMBER_AXIS = "members"


@dataclasses.dataclass(frozen=True)
class EnsembleResult:
    """Per-member outcomes, member ``i`` trained from ``seeds[i]`` at ``learning_rates[i]``.

    ``params`` leaves have a leading member axis; ``train_loss``/``val_loss`` are
    ``(members, epochs)``; ``diverged_epoch[i]`` is -1 for a member that did not diverge.
    """

    seeds: np.ndarray
    learning_rates: np.ndarray
    params: list
    train_loss: np.ndarray
    val_loss: np.ndarray
    final_train_loss: np.ndarray
    final_val_loss: np.ndarray
    diverged_epoch: np.ndarray
    devices: int

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_epoch >= 0

    def member_params(self, i):
        return jax.tree.map(lambda leaf: leaf[i], self.params)


def _members_mse(params, x, y, layer):
    """Each member's mean squared error, shape ``(members,)``."""
    if layer is not tanh_layer:
        return jax.vmap(lambda p: jnp.mean((forward(p, x, layer) - y) ** 2))(params)
    *hidden, last = params
    h = x.T  # (features, rows), shared by every member until the first layer
    for p in hidden:
        h = jnp.tanh(_members_matmul(p["W"], h) + jnp.swapaxes(p["b"], 1, 2))
    out = _members_matmul(last["W"], h) + jnp.swapaxes(last["b"], 1, 2)
    return jnp.mean((out - y.T[None]) ** 2, axis=(1, 2))


@jax.custom_vjp
def _members_matmul(W, h):
    """``W[k].T @ h[k]`` for every member ``k``; ``h`` may be one array shared by all."""
    # XLA's CPU batched dot is about 4x faster when the contracted axis is the minor one
    # of the left operand, so it gets W transposed; the barrier keeps XLA from folding the
    # transpose back into the dot.
    W_t = jax.lax.optimization_barrier(jnp.swapaxes(W, 1, 2))
    return jnp.einsum("kij,jn->kin" if h.ndim == 2 else "kij,kjn->kin", W_t, h)


def _members_matmul_forward(W, h):
    return _members_matmul(W, h), (W, h)


def _members_matmul_backward(residuals, d_out):
    W, h = residuals
    if h.ndim == 2:  # shared input: its gradient is never used, only W's
        return jnp.einsum("jn,kin->kji", h, d_out), jnp.zeros_like(h)
    return jnp.einsum("kjn,kin->kji", h, d_out), jnp.einsum("kji,kin->kjn", W, d_out)


_members_matmul.defvjp(_members_matmul_forward, _members_matmul_backward)


@functools.partial(jax.jit, static_argnames=("rule", "layer", "length"))
def _run_member_epochs(params, rule_state, data, *, rule, layer, length):
    x, y, x_val, y_val = data

    def total_loss(params):
        losses = _members_mse(params, x, y, layer)
        return losses.sum(), losses  # members are independent: d(sum)/d(member) = own grad

    def epoch(carry, _):
        params, rule_state = carry
        (_, train_loss), grads = jax.value_and_grad(total_loss, has_aux=True)(params)
        val_loss = _members_mse(params, x_val, y_val, layer)
        params, rule_state = jax.vmap(rule.step)(params, grads, rule_state)
        return (params, rule_state), (train_loss, val_loss)

    (params, rule_state), (train_loss, val_loss) = jax.lax.scan(
        epoch, (params, rule_state), length=length
    )
    end_losses = jnp.stack(
        [_members_mse(params, x, y, layer), _members_mse(params, x_val, y_val, layer)]
    )
    return params, rule_state, train_loss.T, val_loss.T, end_losses


@functools.lru_cache(maxsize=32)
def _injected(optimizer_factory):
    # One object per factory, so that repeated sweeps reuse the compiled program.
    return optax.inject_hyperparams(optimizer_factory)(learning_rate=0.0)


@functools.partial(jax.jit, static_argnames="optimizer")
def _init_members(params, learning_rates, *, optimizer):
    def init(p, lr):
        return optax.inject_hyperparams(optimizer)(learning_rate=lr).init(p)

    return jax.vmap(init)(params, learning_rates)


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
    devices=None,
    progress: Callable[[int, int, float], None] | None = None,
    chunk_epochs: int = 500,
) -> EnsembleResult:
    """Train one member per ``(seeds[i], learning_rates[i])`` pair, all in one program.

    ``optimizer`` is ``None`` for the lecture's gradient descent, or an optax factory taking
    ``learning_rate`` (``optax.sgd``, ``optax.adam``, ...), wrapped in
    ``optax.inject_hyperparams`` so that every learning rate shares one compilation. The
    member axis is sharded over ``devices`` (default: all of ``jax.devices()``, every host's
    after ``jax.distributed.initialize()``); a member count that the device count does not
    divide is padded, and the padding dropped. ``progress(done, epochs, mean_train_loss)``
    is called between chunks of ``chunk_epochs`` epochs when given.
    """
    seeds = np.asarray(seeds)
    if seeds.ndim != 1 or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    if not np.issubdtype(seeds.dtype, np.integer):
        raise TypeError(f"seeds must be ints, got {seeds.dtype} values")
    learning_rates = np.asarray(learning_rates, np.float64)
    if learning_rates.ndim == 0:
        learning_rates = np.full(seeds.shape, learning_rates)
    if learning_rates.shape != seeds.shape:
        raise ValueError(
            f"learning_rates must be one number or one per seed: {len(seeds)} seeds, "
            f"learning_rates of shape {learning_rates.shape}"
        )
    for lr in learning_rates:
        _checks.check_learning_rate(float(lr))
    epochs = _checks.check_epochs(epochs)
    sizes = _checks.check_layer_sizes(layer_sizes)
    x, y = _checks.check_data(x, y, sizes)
    x_val, y_val = _checks.check_data(x_val, y_val, sizes, names=("x_val", "y_val"))
    chunk_epochs = _checks.check_chunk_epochs(chunk_epochs)

    devices = list(jax.devices() if devices is None else devices)
    members = len(seeds)
    padded = -(-members // len(devices)) * len(devices)
    # Padding members repeat the last one; they are trained and thrown away.
    pad = np.arange(padded).clip(max=members - 1)
    stacked = jax.tree.map(
        lambda *leaves: np.stack(leaves),
        *[jax.tree.map(np.asarray, init_params(sizes, seed=int(s))) for s in seeds[pad]],
    )
    lrs = learning_rates[pad].astype(np.float32)

    mesh = Mesh(np.asarray(devices), (MEMBER_AXIS,))
    params = _to_devices(stacked, NamedSharding(mesh, PartitionSpec(MEMBER_AXIS)))
    lrs_on_devices = _to_devices(lrs, NamedSharding(mesh, PartitionSpec(MEMBER_AXIS)))
    replicated = NamedSharding(mesh, PartitionSpec())
    data = _to_devices(tuple(np.asarray(a) for a in (x, y, x_val, y_val)), replicated)
    if optimizer is None:
        rule, rule_state = _GradientDescent(), lrs_on_devices
    else:
        rule = _Optax(_injected(optimizer))
        rule_state = _init_members(params, lrs_on_devices, optimizer=optimizer)

    chunk = chunk_epochs if progress is not None else epochs
    train_chunks, val_chunks = [], []
    done = 0
    while done < epochs:
        length = min(chunk, epochs - done)
        params, rule_state, train_loss, val_loss, end_losses = _run_member_epochs(
            params, rule_state, data, rule=rule, layer=layer, length=length
        )
        train_chunks.append(_to_host(train_loss)[:members])
        val_chunks.append(_to_host(val_loss)[:members])
        done += length
        if progress is not None:
            progress(done, epochs, float(np.nanmean(train_chunks[-1][:, -1])))
    train_loss = np.concatenate(train_chunks, axis=1)
    val_loss = np.concatenate(val_chunks, axis=1)
    final_train, final_val = _to_host(end_losses)[:, :members]
    return EnsembleResult(
        seeds=seeds,
        learning_rates=np.asarray(learning_rates),
        params=jax.tree.map(lambda leaf: _to_host(leaf)[:members], params),
        train_loss=train_loss,
        val_loss=val_loss,
        final_train_loss=final_train,
        final_val_loss=final_val,
        diverged_epoch=first_non_finite(train_loss, val_loss, final_train, final_val),
        devices=len(devices),
    )


def _to_devices(tree, sharding):
    # make_array_from_callback builds a global array from host data on every process, so the
    # same code serves one host and many after jax.distributed.initialize().
    return jax.tree.map(
        lambda a: jax.make_array_from_callback(a.shape, sharding, lambda index: a[index]), tree
    )


def _to_host(array):
    if jax.process_count() > 1:
        return np.asarray(multihost_utils.process_allgather(array, tiled=True))
    return np.asarray(array)
