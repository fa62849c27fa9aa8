"""The lecture's training, plain JAX against forward=mlp_tanh, on one core and on all cores.

JAX's CPU client sizes its thread pool from the cores the process may use, once, when it
starts, and XLA's runtime runs the independent steps of an epoch on that pool. This
benchmark shows what handing those steps between threads costs each path: it runs the
same measurement in fresh processes limited to one core and given every core, alternately
(these machines are noisy), and keeps each configuration's best. Each process times gradient
descent and Adam, 4000 epochs on the lecture's data, alternately: plain, through mlp_tanh, and
through mlp_tanh with a flat update rule (``core.flat_update``, as ``nnreg compare --fused``
trains: the parameters carried as one vector that the kernel reads and writes in place, and
fewer, larger steps an epoch). Each process also reports how many threads its CPU pool has.
Linux only; needs nnreg-kernels. Usage:

    python benchmarks/cores_speed.py [--processes 3] [--repeats 5]
"""

import argparse
import json
import os
import subprocess
import sys
import time

EPOCHS = 4000
METHODS = ("gd", "optax-adam")
PATHS = ("plain", "mlp_tanh", "flat")  # flat: mlp_tanh, the update on one flat vector


def pool_threads():
    """Threads of XLA's CPU pool in this process (named tf_XLAEigen)."""
    names = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as comm:
            names.append(comm.read().strip())
    return names.count("tf_XLAEigen")


def child(repeats):
    """Best steady seconds of each (method, path) in this process and its pool's threads,
    as JSON on stdout."""
    import jax
    import jax.numpy as jnp
    import optax

    import nnreg.core as core
    from nnreg.kernels import mlp_tanh

    x, y = core.generate_data()
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    params = core.init_params()
    data = [jnp.asarray(a, jnp.float32) for a in (x, y, x_val, y_val)]
    rules = {"gd": core.gradient_descent(1e-3), "optax-adam": optax.adam(1e-3)}
    flat_rules = {
        "gd": core.flat_update(core.gradient_descent)(1e-3),
        "optax-adam": core.flat_update(optax.adam)(1e-3),
    }

    def train(method, path):
        rule = flat_rules[method] if path == "flat" else rules[method]
        forward = None if path == "plain" else mlp_tanh
        run = core.train_optax(params, rule, *data, epochs=EPOCHS, forward=forward)
        jax.block_until_ready(run.params)

    best = {}
    for method in METHODS:
        for path in PATHS:
            train(method, path)  # compiles
        for _ in range(repeats):
            for path in PATHS:
                start = time.perf_counter()
                train(method, path)
                seconds = time.perf_counter() - start
                key = f"{method} {path}"
                best[key] = min(best.get(key, seconds), seconds)
    print(json.dumps({"seconds": best, "pool_threads": pool_threads()}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3, help="per core count")
    parser.add_argument("--repeats", type=int, default=5, help="steady runs per process")
    parser.add_argument("--child-cores", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if args.child_cores is not None:
        # JAX's CPU client reads the affinity once, when it starts: nothing may have started it.
        assert "jax" not in sys.modules, "set the affinity before importing JAX"
        os.sched_setaffinity(0, cores[: args.child_cores])
        child(args.repeats)
        return

    counts = sorted({1, len(cores)})
    best = {count: {} for count in counts}
    threads = {count: set() for count in counts}
    for _ in range(args.processes):
        for count in counts:
            command = [sys.executable, __file__, "--child-cores", str(count)]
            command += ["--repeats", str(args.repeats)]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            report = json.loads(done.stdout)
            threads[count].add(report["pool_threads"])
            for key, seconds in report["seconds"].items():
                best[count][key] = min(best[count].get(key, seconds), seconds)
    print(
        f"{EPOCHS} epochs on the lecture's data, us per epoch, best of {args.processes} "
        f"processes x {args.repeats} runs"
    )
    for count in counts:
        pools = ", ".join(map(str, sorted(threads[count])))
        print(f"{count} core(s): XLA's CPU pool had {pools} thread(s)")
    header = (
        f"{'method':<11} {'cores':>5} {'plain':>7} {'mlp_tanh':>9} {'flat':>7}"
        f" {'plain/mlp_tanh':>15} {'plain/flat':>11}"
    )
    print(header)
    print("-" * len(header))
    for method in METHODS:
        for count in counts:
            plain, fused, flat = (best[count][f"{method} {path}"] for path in PATHS)
            print(
                f"{method:<11} {count:>5} {1e6 * plain / EPOCHS:7.1f} "
                f"{1e6 * fused / EPOCHS:9.1f} {1e6 * flat / EPOCHS:7.1f} "
                f"{plain / fused:14.2f}x {plain / flat:10.2f}x"
            )


if __name__ == "__main__":
    main()
