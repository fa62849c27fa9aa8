"""Splitting a CPU host into several JAX devices, so that sharded work uses every core."""

import os

from ._errors import UsageError


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_device_count_forced_by_xla_flags():
    return "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")


def split_host_cpu(requested):
    """Expose ``requested`` CPU devices to JAX, else one per core unless XLA_FLAGS chose.

    XLA runs each CPU device's program on its own threads. This only works before JAX starts
    its backends; where a host program (a test, a notebook) already started them, its devices
    are kept, unless ``requested`` asks for a different count.
    """
    if requested is None and cpu_device_count_forced_by_xla_flags():
        return
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", requested or usable_cores())
    except RuntimeError:  # JAX is already running in this process
        if requested is not None and requested != jax.device_count():
            raise UsageError(
                f"--cpu-devices {requested}: JAX already runs on {jax.device_count()} "
                "device(s) in this process"
            ) from None
