"""Whole-process time of `nnreg compare` against the lecture's own code, back to back.

Two workloads, each the lecture's code (lecture_baseline.py in a fresh interpreter, 4000
epochs per method) against the nnreg command with a cold and then a warm compilation cache:
  four: the lecture's four methods, Keras included, against `nnreg compare --fused`, the
        README's main job as it runs there (plots and results.json written);
  jax:  the three JAX methods against `nnreg compare --methods jax-gd,optax-sgd,optax-adam
        --no-plots`.
Usage: python benchmarks/compare_speed.py [--repeats 2] [--workloads four,jax]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LECTURE_SCRIPT = Path(__file__).with_name("lecture_baseline.py")
WORKLOADS = {
    "four": ([str(LECTURE_SCRIPT), "--keras"], ["--fused"]),
    "jax": ([str(LECTURE_SCRIPT)], ["--methods", "jax-gd,optax-sgd,optax-adam", "--no-plots"]),
}


def wall_seconds(command, env):
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(workload, repeats, tmp):
    lecture_args, compare_args = WORKLOADS[workload]
    nnreg = Path(sys.executable).with_name("nnreg")
    compare = [str(nnreg), "compare", *compare_args, "--quiet", "--out", str(Path(tmp) / "out")]
    times = {"lecture": [], "nnreg cold cache": [], "nnreg warm cache": []}
    for repeat in range(repeats):
        cache = Path(tmp) / f"cache-{workload}-{repeat}"
        env = {**os.environ, "NNREG_CACHE_DIR": str(cache)}
        times["lecture"].append(wall_seconds([sys.executable, *lecture_args], env))
        times["nnreg cold cache"].append(wall_seconds(compare, env))
        times["nnreg warm cache"].append(wall_seconds(compare, env))
    return {name: min(seconds) for name, seconds in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workloads", default="four,jax")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for workload in args.workloads.split(","):
            best = measure(workload, args.repeats, tmp)
            lecture = best["lecture"]
            print(f"{workload}: best of {args.repeats} whole-process runs, 4000 epochs each")
            for name, seconds in best.items():
                print(
                    f"  {name:<17} {seconds:6.2f} s  {seconds / lecture:4.2f}x the lecture's time"
                )


if __name__ == "__main__":
    main()
