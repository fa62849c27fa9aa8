"""nnreg's compiled trainers against the lecture's own per-epoch Python loops.

Both run in this process on the same data and initial parameters; what matters is the
ratio, since wall-clock time on shared machines is noisy. Usage:

    python benchmarks/train_speed.py [--epochs 4000] [--repeats 3]

With nnreg-kernels installed, each method also trains as ``--fused`` trains it: through the
fused whole-network kernel (forward=nnreg.kernels.mlp_tanh), its update rule wrapped in
``core.flat_update`` so that the parameters are carried as the one vector the kernel reads;
its speed-up is against nnreg's plain-JAX run.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import optax
from lecture_baseline import lecture_gd, lecture_optax

import nnreg.core as core


def timed(run, repeats):
    """Seconds of the first call (with compilation) and of the best later call."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        jax.block_until_ready(run())
        times.append(time.perf_counter() - start)
    return times[0], min(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3, help="steady runs after the first")
    args = parser.parse_args()

    x, y = core.generate_data()
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    params = core.init_params()
    data = [jnp.asarray(a, jnp.float32) for a in (x, y, x_val, y_val)]
    sgd, adam = optax.sgd(1e-3), optax.adam(1e-3)
    e = args.epochs
    # name -> (the lecture's loop, nnreg's plain run, the factory of its rule for --fused)
    methods = {
        "gd": (
            lambda: lecture_gd(params, *data, e),
            lambda: core.train_gradient_descent(params, *data, epochs=e, learning_rate=1e-3).params,
            core.gradient_descent,
        ),
        "optax-sgd": (
            lambda: lecture_optax(sgd)(params, *data, e),
            lambda: core.train_optax(params, sgd, *data, epochs=e).params,
            optax.sgd,
        ),
        "optax-adam": (
            lambda: lecture_optax(adam)(params, *data, e),
            lambda: core.train_optax(params, adam, *data, epochs=e).params,
            optax.adam,
        ),
    }
    print(
        f"jax {jax.__version__} on {jax.devices()[0].device_kind}, {e} epochs, "
        f"best of {args.repeats} steady runs; speed-up: lecture and nnreg rows against the "
        "lecture's loop, mlp_tanh rows against nnreg's plain JAX"
    )
    header = (
        f"{'method':<11} {'impl':<8} {'first s':>8} {'steady s':>9} {'us/epoch':>9} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    try:
        from nnreg.kernels import mlp_tanh
    except ImportError:
        mlp_tanh = None
    for name, (lecture_run, nnreg_run, factory) in methods.items():
        lecture_first, lecture_steady = timed(lecture_run, args.repeats)
        nnreg_first, nnreg_steady = timed(nnreg_run, args.repeats)
        rows = [
            ("lecture", lecture_first, lecture_steady, lecture_steady),
            ("nnreg", nnreg_first, nnreg_steady, lecture_steady),
        ]
        if mlp_tanh is not None:
            rule = core.flat_update(factory)(1e-3)  # one object: repeats reuse the program

            def fused_run(rule=rule):
                return core.train_optax(params, rule, *data, epochs=e, forward=mlp_tanh).params

            fused_first, fused_steady = timed(fused_run, args.repeats)
            rows.append(("mlp_tanh", fused_first, fused_steady, nnreg_steady))
        for impl, first, steady, baseline in rows:
            ratio = baseline / steady
            print(
                f"{name:<11} {impl:<8} {first:8.3f} {steady:9.3f} {1e6 * steady / e:9.1f} "
                f"{ratio:8.1f}x"
            )


if __name__ == "__main__":
    main()
