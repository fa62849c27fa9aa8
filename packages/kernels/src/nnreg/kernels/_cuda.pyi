"""XLA FFI handlers of the fused dense+tanh layer and tanh MLP for CUDA GPUs (native extension)."""

from typing import Any

architectures: str
"""The CUDA architectures compiled in, as CMake spells them (e.g. "80-real,90-real")."""

def handlers() -> dict[str, Any]:
    """FFI handler capsules: dense_tanh's 'forward' and 'backward', mlp_tanh's
    'mlp_forward' and 'mlp_backward'."""
