"""Fused XLA FFI custom calls for CPU and CUDA: one dense+tanh layer, or a whole tanh MLP.

from nnreg.kernels import dense_tanh, mlp_tanh, implementation
y = dense_tanh(x, W, b)      # tanh(x @ W + b); jit, grad, vmap and scan all work
out = mlp_tanh(params, x)    # nnreg's [{"W", "b"}, ...] network in one call per pass
implementation("cpu")        # "cpu" when the native CPU kernel is in use, else "jnp"
"""

from ._fused import dense_tanh
from ._mlp import MAX_LAYERS, MAX_WIDTH, mlp_tanh
from ._mlp_reference import mlp_tanh_reference
from ._platforms import implementation, load_error
from ._reference import dense_tanh_reference

__all__ = [
    "MAX_LAYERS",
    "MAX_WIDTH",
    "dense_tanh",
    "dense_tanh_reference",
    "implementation",
    "load_error",
    "mlp_tanh",
    "mlp_tanh_reference",
]
