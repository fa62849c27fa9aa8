"""Whole-process time of `nnreg compare` against the lecture's own code, back to back.

Two workloads, each the lecture's code (lecture_baseline.py in a fresh interpreter, 4000
epochs per method) against the nnreg command with a cold and then a warm compilation cache:
  four: the lecture's four methods, Keras included, against `nnreg compare --fused`, the
        README's main job as it runs there (plots and results.json written);
  jax:  the three JAX methods against `nnreg compare --methods jax-gd,optax-sgd,optax-adam
        --no-plots`.
A third workload, fused, runs those three methods with and without --fused (with --repeat,
alternately, in separate processes: --fused-processes of each, as one steady run a process is
noisy) and compares each method's best steady time as the command reports it in its JSON.
A fourth, sweep, does the same for `nnreg sweep` (48 Adam members, the README's example) with a
warm compilation cache, from the seconds its JSON reports.
Usage: python benchmarks/compare_speed.py [--repeats 2] [--fused-processes 6]
                                          [--workloads four,jax,fused,sweep]
"""

import argparse
import json
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


def steady_seconds(compare, env):
    """Each method's steady time, from one `nnreg compare --repeat --json -` process."""
    done = subprocess.run(
        [*compare, "--repeat", "--json", "-"], check=True, env=env, capture_output=True, text=True
    )
    return {r["method"]: r["seconds_steady"] for r in json.loads(done.stdout)["results"]}


def measure_fused(processes, tmp):
    nnreg = Path(sys.executable).with_name("nnreg")
    compare = [str(nnreg), "compare", *WORKLOADS["jax"][1], "--quiet", "--out", str(tmp)]
    env = {**os.environ, "NNREG_CACHE_DIR": str(Path(tmp) / "cache-fused")}
    runs = {"plain": [], "fused": []}
    for _ in range(processes):
        runs["plain"].append(steady_seconds(compare, env))
        runs["fused"].append(steady_seconds([*compare, "--fused"], env))
    print(f"fused: each JAX method's steady time, best of {processes} processes with --repeat")
    for method in runs["plain"][0]:
        plain = min(r[method] for r in runs["plain"])
        fused = min(r[method] for r in runs["fused"])
        print(f"  {method:<11} plain {plain:6.3f} s  --fused {fused:6.3f} s  {fused / plain:4.2f}x")


def measure_sweep(repeats, tmp):
    nnreg = Path(sys.executable).with_name("nnreg")
    sweep = [str(nnreg), "sweep", "--seeds", "16", "--lrs", "0.001,0.003,0.01", "--no-plots"]
    sweep += ["--quiet", "--json", "-", "--out", str(Path(tmp) / "sweep")]
    env = {**os.environ, "NNREG_CACHE_DIR": str(Path(tmp) / "cache-sweep")}

    def seconds(command):
        done = subprocess.run(command, check=True, env=env, capture_output=True, text=True)
        return json.loads(done.stdout)["seconds"]

    runs = {"plain": [], "fused": []}
    for repeat in range(repeats + 1):  # the first pair fills the compilation cache
        plain, fused = seconds(sweep), seconds([*sweep, "--fused"])
        if repeat:
            runs["plain"].append(plain)
            runs["fused"].append(fused)
    plain, fused = min(runs["plain"]), min(runs["fused"])
    print(f"sweep: 48 Adam members, warm cache, best of {repeats} processes each")
    print(f"  plain {plain:6.2f} s  --fused {fused:6.2f} s  {fused / plain:4.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--fused-processes", type=int, default=6)
    parser.add_argument("--workloads", default="four,jax,fused,sweep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for workload in args.workloads.split(","):
            if workload == "fused":
                measure_fused(args.fused_processes, tmp)
                continue
            if workload == "sweep":
                measure_sweep(args.repeats, tmp)
                continue
            best = measure(workload, args.repeats, tmp)
            lecture = best["lecture"]
            print(f"{workload}: best of {args.repeats} whole-process runs, 4000 epochs each")
            for name, seconds in best.items():
                print(
                    f"  {name:<17} {seconds:6.2f} s  {seconds / lecture:4.2f}x the lecture's time"
                )


if __name__ == "__main__":
    main()
