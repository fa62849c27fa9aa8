"""Which native FFI handlers this process can use, registered with jax on first need.

A platform's handlers are used only when its extension module imports and jax has that
backend; otherwise the reason is kept, and dense_tanh uses the jnp reference there.
"""

import importlib
import threading

import jax

FORWARD_TARGET = "nnreg_dense_tanh_forward"
BACKWARD_TARGET = "nnreg_dense_tanh_backward"

# jax platform name -> (extension module, platform name for register_ffi_target)
_MODULES = {"cpu": ("nnreg.kernels._cpu", "cpu"), "cuda": ("nnreg.kernels._cuda", "CUDA")}

_lock = threading.Lock()
_outcomes: dict[str, str | None] = {}  # platform -> why unavailable, None once registered


def canonical_platform(platform: str | None) -> str:
    """Lower-case jax platform name, with None meaning jax's default backend and "gpu"
    resolved to "cuda" or "rocm"."""
    name = (platform or jax.default_backend()).lower()
    if name == "gpu":
        return "cuda" if _has_backend("cuda") else "rocm"
    return name


def unavailable_reason(platform: str) -> str | None:
    """Why `platform` cannot run the native handlers, or None once they are registered."""
    with _lock:
        if platform not in _outcomes:
            _outcomes[platform] = _register(platform)
        return _outcomes[platform]


def native_platforms() -> tuple[str, ...]:
    """The platforms whose native handlers are registered (registering them if possible)."""
    return tuple(p for p in _MODULES if unavailable_reason(p) is None)


def _register(platform: str) -> str | None:
    if platform not in _MODULES:
        return f"nnreg-kernels has no native handler for platform {platform!r}"
    module_name, ffi_platform = _MODULES[platform]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        return f"cannot import {module_name}: {error}"
    if not _has_backend(platform):
        return f"jax has no {platform} backend"
    try:
        handlers = module.handlers()
        jax.ffi.register_ffi_target(FORWARD_TARGET, handlers["forward"], platform=ffi_platform)
        jax.ffi.register_ffi_target(BACKWARD_TARGET, handlers["backward"], platform=ffi_platform)
    except Exception as error:  # noqa: BLE001 - any failure means: use the reference
        return f"registering the {platform} FFI targets failed: {error!r}"
    return None


def _has_backend(platform: str) -> bool:
    try:
        return bool(jax.devices(platform))
    except RuntimeError:
        return False
