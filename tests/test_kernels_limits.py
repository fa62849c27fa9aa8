"""Layers beyond the CUDA kernel's 32-bit offsets go to the jnp reference when traced.

Only lowered, never run: jax.ShapeDtypeStruct stands for the 2^31-element arrays, so these
tests allocate nothing. Lowering for "cuda" emits the custom call whenever the CUDA handler
is registered; without a GPU the tests register it for lowering alone (a lowered program
names its custom calls; it needs no handler until it is compiled).
"""

import jax
import jax.numpy as jnp
import pytest

from nnreg.kernels import _registry, dense_tanh, implementation

FORWARD_TARGET = "nnreg_dense_tanh_forward"
BACKWARD_TARGET = "nnreg_dense_tanh_backward"
INT32_MAX = 2**31 - 1

# (n, k, m): the largest layers the CUDA kernel takes, then one element past each limit.
FITS = [(INT32_MAX, 1, 1), (1, INT32_MAX - 1, 1), (46340, 46340, 1), (1, 46339, 46340)]
TOO_LARGE = [(INT32_MAX + 1, 1, 1), (1, INT32_MAX, 1), (INT32_MAX, 1, 2), (46341, 46341, 1)]


@pytest.fixture
def cuda_lowering(monkeypatch):
    """Lets programs be lowered for "cuda" with the native branch, GPU or not."""
    if implementation("cuda") != "cuda":
        monkeypatch.setitem(_registry._outcomes, "cuda", None)
        monkeypatch.setitem(
            _registry._registered, "cuda", {_registry.FORWARD_TARGET, _registry.BACKWARD_TARGET}
        )


def layer(n, k, m):
    return (
        jax.ShapeDtypeStruct((n, k), jnp.float32),
        jax.ShapeDtypeStruct((k, m), jnp.float32),
        jax.ShapeDtypeStruct((m,), jnp.float32),
    )


def lowered_text(function, args, platform):
    return jax.jit(function).trace(*args).lower(lowering_platforms=(platform,)).as_text()


def loss_grads(x, W, b):
    return jax.grad(lambda *a: jnp.sum(dense_tanh(*a)), argnums=(0, 1, 2))(x, W, b)


@pytest.mark.parametrize("n, k, m", FITS)
def test_cuda_kernel_takes_layers_up_to_its_limit(cuda_lowering, n, k, m):
    assert FORWARD_TARGET in lowered_text(dense_tanh, layer(n, k, m), "cuda")
    grads = lowered_text(loss_grads, layer(n, k, m), "cuda")
    assert FORWARD_TARGET in grads and BACKWARD_TARGET in grads


@pytest.mark.parametrize("n, k, m", TOO_LARGE)
def test_larger_layers_use_the_reference_on_cuda(cuda_lowering, n, k, m):
    assert FORWARD_TARGET not in lowered_text(dense_tanh, layer(n, k, m), "cuda")
    grads = lowered_text(loss_grads, layer(n, k, m), "cuda")
    assert FORWARD_TARGET not in grads and BACKWARD_TARGET not in grads
    assert "tanh" in grads


def test_the_limit_is_per_layer_under_vmap(cuda_lowering):
    # 8 layers of 2^28 × 4 elements each: 2^33 in all, 2^30 per layer.
    x, W, b = layer(2**28, 4, 4)
    batched = [jax.ShapeDtypeStruct((8, *a.shape), a.dtype) for a in (x, W, b)]
    assert FORWARD_TARGET in lowered_text(jax.vmap(dense_tanh), batched, "cuda")
    x, W, b = layer(2**29, 4, 4)  # 2^31 per layer
    batched = [jax.ShapeDtypeStruct((2, *a.shape), a.dtype) for a in (x, W, b)]
    assert FORWARD_TARGET not in lowered_text(jax.vmap(dense_tanh), batched, "cuda")


@pytest.mark.parametrize("n, k, m", TOO_LARGE)
def test_cpu_kernel_has_no_32_bit_limit(n, k, m):
    if implementation("cpu") != "cpu":
        pytest.skip("the native CPU kernel is not in use")
    assert FORWARD_TARGET in lowered_text(dense_tanh, layer(n, k, m), "cpu")
