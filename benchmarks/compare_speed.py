"""Whole-process time of `nnreg compare` against the lecture's own code, back to back.

Runs the lecture's gradient descent, Optax SGD and Optax Adam (4000 epochs each,
lecture_baseline.py in a fresh interpreter) and `nnreg compare --methods
jax-gd,optax-sgd,optax-adam --no-plots` with a cold and then a warm compilation cache.
Usage: python benchmarks/compare_speed.py [--repeats 2]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LECTURE_SCRIPT = Path(__file__).with_name("lecture_baseline.py")


def wall_seconds(command, env):
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    nnreg = Path(sys.executable).with_name("nnreg")
    with tempfile.TemporaryDirectory() as tmp:
        compare = [str(nnreg), "compare", "--methods", "jax-gd,optax-sgd,optax-adam"]
        compare += ["--no-plots", "--quiet", "--out", str(Path(tmp) / "out")]
        times = {"lecture": [], "nnreg cold cache": [], "nnreg warm cache": []}
        for repeat in range(args.repeats):
            env = {**os.environ, "NNREG_CACHE_DIR": str(Path(tmp) / f"cache{repeat}")}
            times["lecture"].append(wall_seconds([sys.executable, str(LECTURE_SCRIPT)], env))
            times["nnreg cold cache"].append(wall_seconds(compare, env))
            times["nnreg warm cache"].append(wall_seconds(compare, env))
    lecture = min(times["lecture"])
    print(f"best of {args.repeats} whole-process runs (3 methods x 4000 epochs)")
    for name, seconds in times.items():
        print(f"{name:<17} {min(seconds):6.2f} s  {lecture / min(seconds):5.1f}x")


if __name__ == "__main__":
    main()
