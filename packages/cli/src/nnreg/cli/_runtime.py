"""JAX process settings for the command: the persistent compilation cache, and what ran where."""

import math
import os
from pathlib import Path


def compilation_cache_dir():
    """``$NNREG_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnreg/jax``, else ``~/.cache/nnreg/jax``."""
    if os.environ.get("NNREG_CACHE_DIR"):
        return Path(os.environ["NNREG_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnreg" / "jax"


def cache_disabled_by_environment():
    return os.environ.get("NNREG_NO_CACHE", "").strip().lower() not in ("", "0", "false", "no")


def enable_compilation_cache(directory):
    """Point JAX's persistent cache at ``directory``; return it, or None if it is unusable."""
    import jax

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(directory))
    # nnreg's programs compile in well under JAX's default 1 s threshold; cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return directory


def enable_cache_unless_disabled(args):
    """The persistent cache for this command, unless --no-cache or NNREG_NO_CACHE say no."""
    if args.no_cache or cache_disabled_by_environment():
        return None
    return enable_compilation_cache(compilation_cache_dir())


def hidden_layer(fused):
    """The hidden-layer function for --fused or not, and the implementation that will run."""
    if not fused:
        import nnreg.core as core

        return core.tanh_layer, "jnp"
    try:
        import nnreg.kernels as kernels
    except ImportError as err:
        from ._args import CommandError

        raise CommandError(f"--fused needs the nnreg-kernels package: {err}") from None
    return kernels.dense_tanh, kernels.implementation()


def finite_or_none(value):
    """JSON has no NaN or infinity: a diverged loss becomes null."""
    value = float(value)
    return value if math.isfinite(value) else None


def environment_info():
    import jax

    device = jax.devices()[0]
    return {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "device": device.device_kind,
        "device_count": jax.device_count(),
    }


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def split_host_cpu(devices):
    """Expose the host CPU to JAX as ``devices`` devices, so sharded work uses every core.

    XLA runs each CPU device's program on its own threads. Must run before JAX starts its
    backends.
    """
    import jax

    jax.config.update("jax_num_cpu_devices", devices)


def cpu_device_count_forced_by_xla_flags():
    return "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
