"""nnreg.core's steady training speed against an earlier revision's, in one process.

The earlier revision's `nnreg.core` is taken from git (`git archive`) into a temporary folder
and imported under another name (its imports are relative), so both versions train the same
problems in the same process, interleaved, and noise hits both alike. Printed: the best time
of each and the ratio new/old (below 1 is faster) for the lecture's three 4000-epoch runs
(gradient descent, Optax SGD, Optax Adam) and for `benchmarks/ensemble_speed.py`'s 64 Adam
members sharded over one CPU device per core.
Usage: python benchmarks/against_release.py [--revision abe12a4] [--repeats 3]
"""

import argparse
import importlib
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
import optax

import nnreg.core as core

REPO = Path(__file__).resolve().parent.parent
CORE_SOURCE = "packages/core/src/nnreg/core"


def import_core_at(revision, folder):
    """Import `revision`'s nnreg.core from `folder` as the module `core_<revision>`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, CORE_SOURCE],
        check=True,
        capture_output=True,
    ).stdout
    tar_path = Path(folder) / "core.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(folder, filter="data")
    name = f"core_{revision}"
    (Path(folder) / CORE_SOURCE).rename(Path(folder) / name)
    sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def interleaved_best(old, new, repeats):
    old(), new()  # compile both
    times = {"old": [], "new": []}
    for _ in range(repeats):
        for label, run in (("old", old), ("new", new)):
            start = time.perf_counter()
            jax.block_until_ready(run())
            times[label].append(time.perf_counter() - start)
    return min(times["old"]), min(times["new"])


def single_runs(version, data):
    params = core.init_params()
    sgd, adam = optax.sgd(1e-3), optax.adam(1e-3)
    return {
        "gradient descent": lambda: (
            version.train_gradient_descent(params, *data, epochs=4000, learning_rate=1e-3).params
        ),
        "optax sgd": lambda: version.train_optax(params, sgd, *data, epochs=4000).params,
        "optax adam": lambda: version.train_optax(params, adam, *data, epochs=4000).params,
    }


def ensemble_run(version, data, members):
    seeds = np.arange(1234, 1234 + members)
    rates = np.geomspace(1e-3, 1e-2, members)
    return lambda: (
        version.train_ensemble(
            *data, seeds=seeds, learning_rates=rates, epochs=4000, optimizer=optax.adam
        ).params
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revision", default="abe12a4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--members", type=int, default=64)
    args = parser.parse_args()
    jax.config.update("jax_num_cpu_devices", len(os.sched_getaffinity(0)))

    with tempfile.TemporaryDirectory() as folder:
        old_core = import_core_at(args.revision, folder)
        data = (*core.generate_data(), *core.generate_data(seed=core.VALIDATION_SEED))
        print(
            f"nnreg.core {core.__version__} (this tree) against {args.revision}, best of "
            f"{args.repeats}, interleaved; {jax.device_count()} CPU device(s)"
        )
        olds, news = single_runs(old_core, data), single_runs(core, data)
        for name in olds:
            old, new = interleaved_best(olds[name], news[name], args.repeats)
            print(f"{name:18s} old {old:7.3f} s  new {new:7.3f} s  new/old {new / old:5.2f}")
        old, new = interleaved_best(
            ensemble_run(old_core, data, args.members),
            ensemble_run(core, data, args.members),
            args.repeats,
        )
        label = f"ensemble of {args.members}"
        print(f"{label:18s} old {old:7.3f} s  new {new:7.3f} s  new/old {new / old:5.2f}")


if __name__ == "__main__":
    main()
