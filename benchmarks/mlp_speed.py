"""mlp_tanh against XLA's jnp, each pair timed in one process (run via kernel_speed.py).

1. 100 000 rows through 1-64-64-64-1, forward + backward, against the same network in jnp
   (on a GPU also 1 048 576 rows, and both sizes against jnp at float32 precision: XLA's
   default there may multiply float32 in TF32, which mlp_tanh never does).
2. The lecture's Adam run: 4000 epochs on 400 points, each epoch the training loss and its
   gradients, a validation forward and an optax.adam update, all in one lax.scan; the loss
   through mlp_tanh against nnreg.core's plain path (core.mse: feature-major jnp).
3. The same with 64 members under jax.vmap, against the vmapped plain path.

Loops alternate run by run, so load from other processes hits both alike; the median per
loop is reported. "ratio" is baseline time / mlp_tanh time: above 1 means mlp_tanh is faster.
"""

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import nnreg.core as core
from nnreg.kernels import mlp_tanh

RUNS = 7


def median_seconds(loops, args):
    for loop in loops.values():
        jax.block_until_ready(loop(*args))  # compile and warm up
    times = {name: [] for name in loops}
    for _ in range(RUNS):
        for name, loop in loops.items():
            start = time.perf_counter()
            jax.block_until_ready(loop(*args))
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def jnp_network(params, x):
    """XLA's own row-major network: tanh(h @ W + b) per hidden layer, affine last layer."""
    *hidden, last = params
    for p in hidden:
        x = jnp.tanh(x @ p["W"] + p["b"])
    return x @ last["W"] + last["b"]


def jnp_network_float32(params, x):
    with jax.default_matmul_precision("float32"):
        return jnp_network(params, x)


def forward_backward_loop(network, repeats):
    """`repeats` gradient steps on (params, x), so each application's output feeds the next."""
    grad = jax.grad(lambda p, x: jnp.sum(network(p, x) ** 2), argnums=(0, 1))

    def step(carry, _):
        grads = grad(*carry)
        return jax.tree.map(lambda v, g: v - 1e-6 * g, carry, grads), None

    return jax.jit(lambda p, x: jax.lax.scan(step, (p, x), length=repeats)[0])


def adam_loop(loss, forward, epochs, optimizer):
    """The lecture's epoch: train loss and grads, a validation loss, an Adam update."""

    def run(params, x, y, x_val, y_val):
        def epoch(state, _):
            params, opt_state = state
            train_loss, grads = jax.value_and_grad(loss)(params, x, y)
            val_loss = jnp.mean((forward(params, x_val) - y_val) ** 2)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), (train_loss, val_loss)

        return jax.lax.scan(epoch, (params, optimizer.init(params)), length=epochs)

    return jax.jit(run)


def fused_mse(params, x, y):
    return jnp.mean((mlp_tanh(params, x) - y) ** 2)


def members(function, axes):
    return jax.vmap(function, in_axes=axes)


def members_loss(mse):
    return lambda params, x, y: jnp.sum(members(mse, (0, None, None))(params, x, y))


def report(name, seconds, per):
    ratio = seconds["baseline"] / seconds["mlp_tanh"]
    print(
        f"{name:<44}{seconds['mlp_tanh'] / per * 1e6:>10.1f}us"
        f"{seconds['baseline'] / per * 1e6:>10.1f}us{ratio:>8.2f}x",
        flush=True,
    )


def mlp_benchmarks(device):
    print(f"\n{'mlp_tanh':<44}{'mlp_tanh':>12}{'baseline':>12}{'ratio':>9}")
    with jax.default_device(device):
        params = core.init_params((1, 64, 64, 64, 1), seed=0)
        on_gpu = device.platform != "cpu"
        for rows in (100_000, 1_048_576) if on_gpu else (100_000,):
            x = np.random.default_rng(0).uniform(0, 5, (rows, 1)).astype(np.float32)
            loops = {
                "mlp_tanh": forward_backward_loop(mlp_tanh, 10),
                "baseline": forward_backward_loop(jnp_network, 10),
            }
            if on_gpu:
                loops["float32"] = forward_backward_loop(jnp_network_float32, 10)
            seconds = median_seconds(loops, (params, jnp.asarray(x)))
            report(f"1-64-64-64-1, {rows} rows, fwd+bwd vs jnp", seconds, 10)
            if on_gpu:
                seconds["baseline"] = seconds["float32"]
                report(f"1-64-64-64-1, {rows} rows, fwd+bwd vs jnp fp32", seconds, 10)

        data = (*core.generate_data(), *core.generate_data(seed=core.VALIDATION_SEED))
        params = core.init_params(seed=1234)
        epochs = 4000
        adam = optax.adam(1e-3)
        loops = {
            "mlp_tanh": adam_loop(fused_mse, mlp_tanh, epochs, adam),
            "baseline": adam_loop(core.mse, core.forward, epochs, adam),
        }
        report("lecture Adam epoch vs core.mse", median_seconds(loops, (params, *data)), epochs)

        stacked = jax.vmap(lambda seed: core.init_params(seed=0))(jnp.arange(64))
        stacked = jax.tree.map(
            lambda a: a * jnp.linspace(0.5, 1.5, 64).reshape(-1, *([1] * (a.ndim - 1))), stacked
        )
        loops = {
            "mlp_tanh": adam_loop(
                members_loss(fused_mse), members(mlp_tanh, (0, None)), epochs, adam
            ),
            "baseline": adam_loop(
                members_loss(core.mse), members(core.forward, (0, None)), epochs, adam
            ),
        }
        seconds = median_seconds(loops, (stacked, *data))
        report("64 members, lecture Adam epoch vs core.mse", seconds, epochs)
