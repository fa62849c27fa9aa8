"""nnreg.kernels.dense_tanh against its jnp reference, on every platform with a native kernel.

Each numeric test runs once per platform: "cpu" always (the CPU kernel must be in use),
"cuda" (marked gpu) only where jax has a CUDA backend and the CUDA handler was built.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from nnreg.kernels import dense_tanh, dense_tanh_reference, implementation, load_error

FORWARD_TARGET = "nnreg_dense_tanh_forward"
BACKWARD_TARGET = "nnreg_dense_tanh_backward"


def layer(n, k, m, seed=0, b_shape=None):
    """x (n, k), W (k, m), b with pre-activations spread over tanh's curved range."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, k), dtype=np.float32)
    W = rng.standard_normal((k, m), dtype=np.float32) / np.float32(np.sqrt(max(k, 1)))
    b = 0.5 * rng.standard_normal(b_shape or (m,), dtype=np.float32)
    return jnp.asarray(x), jnp.asarray(W), jnp.asarray(b)


def max_abs_diff(a, b):
    return float(jnp.max(jnp.abs(a - b))) if a.size else 0.0


def loss_grads(f, x, W, b, cotangent):
    return jax.grad(lambda *args: jnp.sum(f(*args) * cotangent), argnums=(0, 1, 2))(x, W, b)


def assert_grads_close(got, want):
    for name, g, w in zip(("dx", "dW", "db"), got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, name
        scale = max(float(jnp.max(jnp.abs(w))), 1.0) if w.size else 1.0
        assert max_abs_diff(g, w) <= 2e-5 * scale, name


SHAPES = [
    (1, 1, 1),
    (7, 3, 5),
    (13, 1, 9),  # k = 1
    (9, 4, 1),  # m = 1
    (0, 3, 4),  # no rows
    (5, 0, 3),  # no inputs: y = tanh(b)
    (33, 17, 19),
    (400, 10, 10),
    (257, 64, 64),
    (100_000, 64, 64),
]


def test_cpu_uses_the_native_kernel():
    assert implementation("cpu") == "cpu"
    assert load_error("cpu") is None


def test_platforms_without_a_kernel_report_the_reference():
    assert implementation("tpu") == "jnp"
    assert "tpu" in load_error("tpu")


@pytest.mark.parametrize("n, k, m", SHAPES)
@pytest.mark.parametrize("b_row", [False, True], ids=["b(m)", "b(1,m)"])
def test_forward_matches_reference(platform, n, k, m, b_row):
    x, W, b = layer(n, k, m, b_shape=(1, m) if b_row else None)
    want = dense_tanh_reference(x, W, b)
    for f in (dense_tanh, jax.jit(dense_tanh)):
        got = f(x, W, b)
        assert got.shape == (n, m) and got.dtype == jnp.float32
        assert max_abs_diff(got, want) <= 2e-5


def test_forward_saturates_and_propagates_nan(platform):
    x = jnp.ones((1, 1), jnp.float32)
    W = jnp.asarray([[100.0, -100.0, 0.0, jnp.nan]], jnp.float32)
    got = np.asarray(jax.jit(dense_tanh)(x, W, jnp.zeros(4, jnp.float32)))
    assert got[0, :3].tolist() == [1.0, -1.0, 0.0] and np.isnan(got[0, 3])


def test_lowered_program_calls_the_kernels(platform):
    x, W, b = layer(8, 3, 2)
    forward = jax.jit(dense_tanh).lower(x, W, b)
    assert FORWARD_TARGET in forward.as_text()
    assert FORWARD_TARGET in forward.compile().as_text()
    grad = jax.jit(jax.grad(lambda *args: jnp.sum(dense_tanh(*args)), argnums=(0, 1, 2)))
    lowered = grad.lower(x, W, b).as_text()
    assert FORWARD_TARGET in lowered and BACKWARD_TARGET in lowered


@pytest.mark.parametrize("n, k, m", SHAPES)
@pytest.mark.parametrize("b_row", [False, True], ids=["b(m)", "b(1,m)"])
def test_gradients_match_reference(platform, n, k, m, b_row):
    x, W, b = layer(n, k, m, seed=1, b_shape=(1, m) if b_row else None)
    cotangent = jnp.asarray(np.random.default_rng(2).standard_normal((n, m), dtype=np.float32))
    got = jax.jit(loss_grads, static_argnums=0)(dense_tanh, x, W, b, cotangent)
    want = loss_grads(dense_tanh_reference, x, W, b, cotangent)
    assert_grads_close(got, want)


@pytest.mark.parametrize("n, k, m", [(1, 1, 1), (7, 3, 5), (33, 17, 19)])
def test_check_grads(platform, n, k, m):
    # Central differences in float32: eps 1e-2 balances truncation against rounding error.
    check_grads(
        dense_tanh, layer(n, k, m, seed=3), order=1, modes=["rev"], eps=1e-2, atol=2e-2, rtol=2e-2
    )


IN_AXES = [(0, None, None), (None, 0, 0), (0, 0, 0), (None, 0, None), (None, None, 0), (2, 2, 1)]


def batched_layer(in_axes, batch=3, n=6, k=4, m=5):
    """Inputs for jax.vmap(f, in_axes), with the batch axis inserted where in_axes says."""
    stacked = [layer(n, k, m, seed=s) for s in range(batch)]
    arrays = []
    for i, axis in enumerate(in_axes):
        parts = [inputs[i] for inputs in stacked]
        arrays.append(parts[0] if axis is None else jnp.stack(parts, axis=axis))
    return arrays


@pytest.mark.parametrize("in_axes", IN_AXES, ids=str)
def test_vmap_matches_reference(platform, in_axes):
    args = batched_layer(in_axes)
    got = jax.jit(jax.vmap(dense_tanh, in_axes=in_axes))(*args)
    assert max_abs_diff(got, jax.vmap(dense_tanh_reference, in_axes=in_axes)(*args)) <= 2e-5
    assert FORWARD_TARGET in jax.jit(jax.vmap(dense_tanh, in_axes=in_axes)).lower(*args).as_text()


@pytest.mark.parametrize("in_axes", IN_AXES, ids=str)
def test_grad_of_vmap_and_vmap_of_grad(platform, in_axes):
    args = batched_layer(in_axes)

    def summed(f):
        return lambda *a: jnp.sum(jnp.sin(jax.vmap(f, in_axes=in_axes)(*a)))

    want = jax.grad(summed(dense_tanh_reference), argnums=(0, 1, 2))(*args)
    got = jax.jit(jax.grad(summed(dense_tanh), argnums=(0, 1, 2)))(*args)
    assert_grads_close(got, want)

    def per_example(f):
        return jax.vmap(
            jax.grad(lambda *a: jnp.sum(jnp.sin(f(*a))), argnums=(0, 1, 2)), in_axes=in_axes
        )

    assert_grads_close(
        jax.jit(per_example(dense_tanh))(*args), per_example(dense_tanh_reference)(*args)
    )


NESTED_VMAPS = {
    # name: (outer in_axes, inner in_axes, shapes of x, W, b with n=6, k=4, m=5)
    "x twice": ((0, None, None), (0, None, None), ((2, 3, 6, 4), (4, 5), (5,))),
    "x outer, all inner": ((0, None, None), (0, 0, 0), ((2, 3, 6, 4), (3, 4, 5), (3, 5))),
    "W outer, x inner": ((None, 0, 0), (0, None, None), ((3, 6, 4), (2, 4, 5), (2, 5))),
}


@pytest.mark.parametrize("outer, inner, shapes", NESTED_VMAPS.values(), ids=NESTED_VMAPS.keys())
def test_nested_vmap(platform, outer, inner, shapes):
    rng = np.random.default_rng(5)
    args = [jnp.asarray(0.7 * rng.standard_normal(shape, dtype=np.float32)) for shape in shapes]

    def nested(f):
        return jax.vmap(jax.vmap(f, in_axes=inner), in_axes=outer)

    got = jax.jit(nested(dense_tanh))(*args)
    assert max_abs_diff(got, nested(dense_tanh_reference)(*args)) <= 2e-5


def mlp_loss(dense, params, x, y):
    hidden = x
    for W, b in params[:-1]:
        hidden = dense(hidden, W, b)
    W, b = params[-1]
    prediction = hidden @ W + b
    return jnp.mean((prediction - y) ** 2)


def train(dense, params, x, y, steps=20, learning_rate=0.05):
    def step(params, _):
        loss, grads = jax.value_and_grad(lambda p: mlp_loss(dense, p, x, y))(params)
        params = jax.tree.map(lambda p, g: p - learning_rate * g, params, grads)
        return params, loss

    return jax.jit(lambda p: jax.lax.scan(step, p, length=steps))(params)


def test_scan_training_matches_reference(platform):
    """The lecture's 1-10-10-10-1 tanh MLP trained for a few SGD steps inside lax.scan."""
    rng = np.random.default_rng(4)
    sizes = [1, 10, 10, 10, 1]
    params = [
        (
            jnp.asarray(rng.standard_normal((a, c), dtype=np.float32) / np.float32(np.sqrt(a))),
            jnp.zeros((1, c), jnp.float32),
        )
        for a, c in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    x = jnp.linspace(-2.0, 2.0, 400, dtype=jnp.float32).reshape(400, 1)
    y = jnp.sin(2.0 * x)
    fused_params, fused_losses = train(dense_tanh, params, x, y)
    reference_params, reference_losses = train(dense_tanh_reference, params, x, y)
    assert float(fused_losses[-1]) < float(fused_losses[0])
    np.testing.assert_allclose(fused_losses, reference_losses, rtol=1e-4, atol=1e-6)
    for got, want in zip(
        jax.tree.leaves(fused_params), jax.tree.leaves(reference_params), strict=True
    ):
        assert got.shape == want.shape
        assert max_abs_diff(got, want) <= 1e-4


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_other_floating_dtypes_use_the_reference(platform, dtype):
    x, W, b = (a.astype(dtype) for a in layer(9, 4, 3))
    got = jax.jit(dense_tanh)(x, W, b)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, jax.jit(dense_tanh_reference)(x, W, b))
    assert FORWARD_TARGET not in jax.jit(dense_tanh).lower(x, W, b).as_text()
    grads = jax.grad(lambda *a: jnp.sum(dense_tanh(*a).astype(jnp.float32)), argnums=(0, 1, 2))(
        x, W, b
    )
    assert [g.dtype for g in grads] == [dtype] * 3


def test_mixed_dtypes_are_promoted(platform):
    x, W, b = layer(5, 3, 2)
    got = dense_tanh(x.astype(jnp.bfloat16), W, b)
    assert got.dtype == jnp.float32
    assert max_abs_diff(got, dense_tanh_reference(x.astype(jnp.bfloat16), W, b)) <= 2e-5
