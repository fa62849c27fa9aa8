"""One process of tests/test_multihost.py: a two-process train_ensemble over loopback.

Usage: python multihost_worker.py PORT PROCESS_ID NUM_PROCESSES SETTINGS_JSON OUT.npz
SETTINGS_JSON holds train_ensemble's seeds, learning_rates and epochs. Not a test module
(pytest collects test_*.py only); the test starts it with subprocess.
"""

import json
import sys

import jax

port, process_id, num_processes, settings, out = sys.argv[1:]
jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_num_cpu_devices", 2)  # two devices per process: four in all
# Cross-process collectives on CPU go through gloo (the default only in newer jax).
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(
    coordinator_address=f"127.0.0.1:{port}",
    num_processes=int(num_processes),
    process_id=int(process_id),
    initialization_timeout=60,
)

import numpy as np  # noqa: E402
import optax  # noqa: E402

import nnreg.core as core  # noqa: E402

x, y = core.generate_data()
x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
result = core.train_ensemble(x, y, x_val, y_val, **json.loads(settings), optimizer=optax.adam)
leaves = {f"param{i}": leaf for i, leaf in enumerate(jax.tree.leaves(result.params))}
np.savez(
    out,
    process_count=jax.process_count(),
    global_devices=len(jax.devices()),
    result_devices=result.devices,
    final_train_loss=result.final_train_loss,
    final_val_loss=result.final_val_loss,
    train_loss=result.train_loss,
    val_loss=result.val_loss,
    **leaves,
)
jax.distributed.shutdown()
