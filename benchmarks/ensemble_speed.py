"""64 Adam members x 4000 epochs: one sharded ensemble against training them one by one.

Both in this process, on the lecture's data, steady state (each measured after a warm-up
call that compiles). As `nnreg sweep` does, a CPU host is split into one JAX device per core
(--cpu-devices), so the ensemble's members are sharded over every core; the one-by-one runs
use one device, as `train_optax` always does.
With nnreg-kernels installed, the ensemble also runs through its fused whole-network
kernel (forward=nnreg.kernels.mlp_tanh), timed against the plain ensemble: with Adam's
per-leaf update, and with one flat update (core.flat_update), as `nnreg sweep --fused` trains.
Usage: python benchmarks/ensemble_speed.py [--members 64] [--epochs 4000] [--cpu-devices N]
"""

import argparse
import os
import time

import jax
import numpy as np
import optax

import nnreg.core as core


def best_seconds(run, repeats):
    run()  # compiles
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cpu-devices", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    jax.config.update("jax_num_cpu_devices", args.cpu_devices)  # before any device is used

    x, y = core.generate_data()
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    seeds = np.arange(1234, 1234 + args.members)
    lrs = np.geomspace(1e-3, 1e-2, args.members)
    optimizers = [optax.adam(lr) for lr in lrs]  # built once: the loop measures training only
    inits = [core.init_params(seed=int(s)) for s in seeds]

    def one_by_one():
        for params, optimizer in zip(inits, optimizers, strict=True):
            core.train_optax(params, optimizer, x, y, x_val, y_val, epochs=args.epochs)

    def ensemble(forward=None, optimizer=optax.adam):
        core.train_ensemble(
            x, y, x_val, y_val, seeds=seeds, learning_rates=lrs, epochs=args.epochs,
            optimizer=optimizer, forward=forward,
        )  # fmt: skip

    separate = best_seconds(one_by_one, 1)
    together = best_seconds(ensemble, args.repeats)
    print(
        f"jax {jax.__version__}, {jax.device_count()} {jax.devices()[0].platform} device(s), "
        f"{args.members} Adam members x {args.epochs} epochs"
    )
    print(f"one by one (train_optax)  {separate:7.2f} s")
    print(f"ensemble (train_ensemble) {together:7.2f} s   {separate / together:5.1f}x faster")
    try:
        from nnreg.kernels import implementation, mlp_tanh
    except ImportError:
        return
    fused = best_seconds(lambda: ensemble(mlp_tanh), args.repeats)
    flat = best_seconds(lambda: ensemble(mlp_tanh, core.flat_update(optax.adam)), args.repeats)
    for name, seconds in (("", fused), (", flat update", flat)):
        print(
            f"ensemble, forward=mlp_tanh{name} ({implementation()}) {seconds:7.2f} s   "
            f"{together / seconds:5.2f}x the plain ensemble's speed"
        )


if __name__ == "__main__":
    main()
