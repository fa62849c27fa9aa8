"""JAX's persistent compilation cache: on by default, so a second run skips compiling."""

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
