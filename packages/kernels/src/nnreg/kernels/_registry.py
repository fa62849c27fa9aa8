"""Which native FFI handlers this process can use, registered with jax on first need.

A platform's handlers are used only when its extension module imports and jax has that
backend; otherwise the reason is kept, and dense_tanh and mlp_tanh use their jnp references
there.
"""

import importlib
import threading

import jax

FORWARD_TARGET = "nnreg_dense_tanh_forward"
BACKWARD_TARGET = "nnreg_dense_tanh_backward"
MLP_FORWARD_TARGET = "nnreg_mlp_tanh_forward"
MLP_BACKWARD_TARGET = "nnreg_mlp_tanh_backward"
# key in the extension's handlers() -> FFI target name
_TARGETS = {
    "forward": FORWARD_TARGET,
    "backward": BACKWARD_TARGET,
    "mlp_forward": MLP_FORWARD_TARGET,
    "mlp_backward": MLP_BACKWARD_TARGET,
}

# jax platform name -> (extension module, platform name for register_ffi_target)
_MODULES = {"cpu": ("nnreg.kernels._cpu", "cpu"), "cuda": ("nnreg.kernels._cuda", "CUDA")}

_lock = threading.Lock()
_outcomes: dict[str, str | None] = {}  # platform -> why unavailable, None once registered
_registered: dict[str, set[str]] = {}  # platform -> the targets its module provided


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


def native_platforms(*targets: str) -> tuple[str, ...]:
    """The platforms whose native handlers are registered (registering them if possible),
    limited to those that provide every one of `targets`."""
    return tuple(
        p for p in _MODULES if unavailable_reason(p) is None and _registered[p].issuperset(targets)
    )


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
        # A module built from older sources may lack a kernel; the others still serve.
        _registered[platform] = set()
        for key, target in _TARGETS.items():
            if key in handlers:
                jax.ffi.register_ffi_target(target, handlers[key], platform=ffi_platform)
                _registered[platform].add(target)
    except Exception as error:  # noqa: BLE001 - any failure means: use the reference
        return f"registering the {platform} FFI targets failed: {error!r}"
    return None


def _has_backend(platform: str) -> bool:
    try:
        return bool(jax.devices(platform))
    except RuntimeError:
        return False
