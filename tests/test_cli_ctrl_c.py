"""Ctrl-C at random moments of real `nnreg fit` processes, from start-up and import through
compiling to training: every one exits 130 within a second, never by a signal, never with a
traceback, and leaves nothing behind."""

import concurrent.futures
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

NNREG_SCRIPT = Path(sys.executable).with_name("nnreg")
INTERRUPTS = 50
AT_ONCE = 2  # CI has two cores
# Seconds after start: Python's start-up, importing jax, reading the CSV (together ~2-3 s
# with two fits on two busy cores), compiling, and the first chunks of training.
EARLIEST, LATEST = 0.2, 6.0
# From the signal to the exit, wherever it lands: during imports Ctrl-C is held until the
# module has loaded; a compilation runs on another thread and is not waited for; a training
# chunk lasts ~0.2 s. Measured with both cores busy: at most 0.57 s in 100 interrupts, and
# once 1.73 s while a third process also loaded the cores (the running chunk starved).
LATENCY = 1.0  # the bound, for all but a few starved runs
MOST_WITHIN_LATENCY = 0.9
WORST_LATENCY = 2.5


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """200 000 rows: a fit of them runs for seconds, its epochs tens of milliseconds each."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, 200_000)
    y = np.sqrt(x) + np.sin(x) + 0.2 * rng.normal(size=x.size)
    path = tmp_path_factory.mktemp("ctrl-c") / "big.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="x,y", comments="", fmt="%.6f")
    return path


def interrupt_one(big_csv, folder, delay, cache):
    """Start a fit, SIGINT it ``delay`` s later: (return code, stderr, latency, stage shown)."""
    command = [NNREG_SCRIPT, "fit", big_csv, "--x", "x", "--y", "y", "--epochs", 10**9]
    command += ["--out", folder / "m.npz", "--json", folder / "r.json", "--plot", folder / "f.png"]
    environment = {**os.environ, "NNREG_CACHE_DIR": str(cache)}
    process = subprocess.Popen(
        [str(part) for part in command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr))
    reader.start()
    time.sleep(delay)
    shown = any("compiling included: started" in line for line in list(lines))
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    latency = time.monotonic() - sent
    reader.join()
    process.stdout.close()
    process.stderr.close()
    return process.returncode, "".join(lines), latency, shown


@pytest.mark.slow
def test_ctrl_c_at_random_moments_exits_130_promptly_leaving_nothing(big_csv, tmp_path):
    delays = np.random.default_rng(2026).uniform(EARLIEST, LATEST, INTERRUPTS)
    folders = [tmp_path / f"run{i}" for i in range(INTERRUPTS)]
    for folder in folders:
        folder.mkdir()
    cache = tmp_path / "jax-cache"  # shared: the later runs load their programs from it
    with concurrent.futures.ThreadPoolExecutor(AT_ONCE) as pool:
        runs = list(
            pool.map(
                lambda run: interrupt_one(big_csv, *run, cache),
                zip(folders, delays, strict=True),
            )
        )
    for delay, (code, stderr, latency, _) in zip(delays, runs, strict=True):
        moment = f"SIGINT {delay:.2f} s after start"
        assert code == 130, f"{moment}: exit code {code} (negative: killed by a signal)\n{stderr}"
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert stderr.endswith("nnreg fit: interrupted\n"), f"{moment}\n{stderr}"
        assert latency < WORST_LATENCY, (moment, latency, stderr)
    latencies = sorted(latency for _, _, latency, _ in runs)
    assert sum(latency < LATENCY for latency in latencies) >= MOST_WITHIN_LATENCY * INTERRUPTS, (
        latencies
    )
    assert sum(shown for *_, shown in runs) >= INTERRUPTS // 4  # training was interrupted too
    for folder in folders:
        assert list(folder.iterdir()) == []  # no output, no staging folder, no temporary
