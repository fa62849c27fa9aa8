"""train_ensemble across two processes (jax.distributed over loopback, gloo on CPU).

Two processes with two CPU devices each stand in for two hosts: every member's losses and
parameters must equal a single-process run's.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import optax

import nnreg.core as core

WORKER = Path(__file__).with_name("multihost_worker.py")
TIMEOUT_S = 120
# Six members on four devices: padded to eight, two per device.
SETTINGS = {
    "seeds": [1, 2, 3, 4, 5, 6],
    "learning_rates": [1e-3, 3e-3, 1e-2, 1e-3, 3e-3, 1e-2],
    "epochs": 40,
}


def free_port():
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_two_processes(tmp_path):
    port, settings = str(free_port()), json.dumps(SETTINGS)
    outs = [tmp_path / f"process{i}.npz" for i in range(2)]
    logs = [tmp_path / f"process{i}.log" for i in range(2)]  # files: a full pipe cannot block
    env = {key: value for key, value in os.environ.items() if not key.startswith("JAX_")}
    env.pop("XLA_FLAGS", None)  # the worker chooses its own devices
    processes = []
    try:
        for i in range(2):
            command = [sys.executable, str(WORKER), port, str(i), "2", settings, str(outs[i])]
            with open(logs[i], "wb") as log:
                processes.append(
                    subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                )
        for process in processes:
            process.wait(timeout=TIMEOUT_S)
    finally:
        for process in processes:  # after a failure or a timeout, neither is left running
            if process.poll() is None:
                process.kill()
                process.wait()
    for i, process in enumerate(processes):
        log = logs[i].read_text(errors="replace")[-3000:]
        assert process.returncode == 0, f"process {i} exited with {process.returncode}:\n{log}"
    return [dict(np.load(out)) for out in outs]


def test_two_processes_train_the_same_members_as_one(tmp_path):
    results = run_two_processes(tmp_path)
    x, y = core.generate_data()
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    alone = core.train_ensemble(
        x, y, x_val, y_val, **SETTINGS, optimizer=optax.adam, devices=jax.devices()[:1]
    )
    expected = {f"param{i}": leaf for i, leaf in enumerate(jax.tree.leaves(alone.params))}
    for name in ("final_train_loss", "final_val_loss", "train_loss", "val_loss"):
        expected[name] = getattr(alone, name)
    for got in results:  # every process holds every member
        assert (got["process_count"], got["global_devices"], got["result_devices"]) == (2, 4, 4)
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
