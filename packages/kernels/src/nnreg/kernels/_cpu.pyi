"""XLA FFI handlers of the fused dense+tanh layer for CPUs (native extension)."""

from typing import Any

def handlers() -> dict[str, Any]:
    """FFI handler capsules by pass: {'forward': ..., 'backward': ...}."""

def instruction_set() -> str:
    """The vector instruction set the kernels use on this CPU."""
