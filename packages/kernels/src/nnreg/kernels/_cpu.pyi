"""XLA FFI handlers of the fused dense+tanh layer and tanh MLP for CPUs (native extension)."""

from typing import Any

def handlers() -> dict[str, Any]:
    """FFI handler capsules: dense_tanh's 'forward' and 'backward', mlp_tanh's
    'mlp_forward' and 'mlp_backward'."""

def instruction_set() -> str:
    """The vector instruction set the kernels use on this CPU."""
