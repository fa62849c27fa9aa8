"""Fused dense+tanh layer y = tanh(x @ W + b) as an XLA FFI custom call, for CPU and CUDA.

from nnreg.kernels import dense_tanh, implementation
y = dense_tanh(x, W, b)      # jit, grad, vmap and scan all work
implementation("cpu")        # "cpu" when the native CPU kernel is in use, else "jnp"
"""

from ._fused import dense_tanh
from ._platforms import implementation, load_error
from ._reference import dense_tanh_reference

__all__ = ["dense_tanh", "dense_tanh_reference", "implementation", "load_error"]
