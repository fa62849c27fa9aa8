"""mlp_tanh's bad inputs raise errors naming the shapes; what falls back to the reference."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnreg.kernels import (
    MAX_LAYERS,
    MAX_WIDTH,
    dense_tanh,
    implementation,
    mlp_tanh,
    mlp_tanh_reference,
)

TARGET = "nnreg_mlp_tanh_forward"


def f32(*shape):
    return jnp.ones(shape, jnp.float32)


def layer(fan_in, fan_out, b_shape=None):
    return {"W": f32(fan_in, fan_out), "b": f32(*(b_shape or (1, fan_out)))}


# name: (params, x, exception, pattern the message must match)
CASES = {
    "params not a list": (layer(1, 2), f32(3, 1), TypeError, r"params must be a list.*dict"),
    "params a string": ("W", f32(3, 1), TypeError, r"params must be a list.*str"),
    "empty list": ([], f32(3, 1), ValueError, r"params is an empty list"),
    "layer not a dict": ([(f32(1, 2), f32(2))], f32(3, 1), TypeError, r"params\[0\].*tuple"),
    "missing b": ([{"W": f32(1, 2)}], f32(3, 1), ValueError, r"params\[0\] lacks.*'b'.*\['W'\]"),
    "int x": (
        [layer(1, 2)],
        jnp.ones((3, 1), jnp.int32),
        TypeError,
        r"x must be.*int32.*x\(3, 1\)",
    ),
    "complex W": (
        [{"W": f32(1, 2) * 1j, "b": f32(2)}],
        f32(3, 1),
        TypeError,
        r"W0 must be.*complex",
    ),
    "text W": ([{"W": "W", "b": f32(2)}], f32(3, 1), TypeError, r"params\[0\]\['W'\] is not an"),
    "1-D x": ([layer(1, 2)], f32(3), ValueError, r"x of shape \(n, features\).*x\(3,\)"),
    "3-D x": ([layer(1, 2)], f32(2, 3, 1), ValueError, r"x\(2, 3, 1\)"),
    "1-D W": (
        [{"W": f32(2), "b": f32(2)}],
        f32(3, 2),
        ValueError,
        r"W0 \(fan_in, fan_out\).*W0\(2,\)",
    ),
    "x does not chain": (
        [layer(2, 4)],
        f32(3, 1),
        ValueError,
        r"x columns \(1\) differ from W0 rows \(2\).*x\(3, 1\), W0\(2, 4\)",
    ),
    "layers do not chain": (
        [layer(1, 4), layer(3, 1)],
        f32(3, 1),
        ValueError,
        r"W0 columns \(4\) differ from W1 rows \(3\).*W1\(3, 1\)",
    ),
    "wrong b": (
        [layer(1, 4, b_shape=(3,))],
        f32(3, 1),
        ValueError,
        r"b0 of shape \(4,\).*b0\(3,\)",
    ),
    "b with 2 rows": ([layer(1, 2, b_shape=(2, 2))], f32(3, 1), ValueError, r"b0\(2, 2\)"),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("f", [mlp_tanh, mlp_tanh_reference], ids=lambda f: f.__name__)
def test_bad_input_raises_naming_shapes(f, name):
    params, x, error, pattern = CASES[name]
    with pytest.raises(error, match=pattern):
        f(params, x)


def test_errors_surface_under_jit_vmap_and_grad():
    params = [layer(1, 4), layer(3, 1)]
    with pytest.raises(ValueError, match="W0 columns"):
        jax.jit(mlp_tanh)(params, f32(3, 1))
    stacked = jax.tree.map(lambda a: jnp.stack([a, a]), params)
    with pytest.raises(ValueError, match="W0 columns"):
        jax.vmap(mlp_tanh, in_axes=(0, None))(stacked, f32(3, 1))
    with pytest.raises(ValueError, match="W0 columns"):
        jax.grad(lambda p: jnp.sum(mlp_tanh(p, f32(3, 1))))(params)


def test_no_rows():
    params = [layer(2, 5), layer(5, 3)]
    x = f32(0, 2)
    assert mlp_tanh(params, x).shape == (0, 3)
    grads = jax.jit(jax.grad(lambda p, x: jnp.sum(mlp_tanh(p, x)), argnums=(0, 1)))(params, x)
    assert grads[1].shape == (0, 2)
    for leaf in jax.tree.leaves(grads[0]):
        np.testing.assert_array_equal(leaf, np.zeros(leaf.shape, np.float32))


def lowered(params, x, **lower):
    return jax.jit(mlp_tanh).trace(params, x).lower(**lower).as_text()


def test_over_limit_networks_use_the_reference():
    rng = np.random.default_rng(0)
    wide = [
        {
            "W": jnp.asarray(rng.standard_normal((1, MAX_WIDTH + 1), dtype=np.float32)),
            "b": f32(MAX_WIDTH + 1),
        },
        layer(MAX_WIDTH + 1, 1),
    ]
    deep = [layer(1, 2)] + [layer(2, 2) for _ in range(MAX_LAYERS)]
    empty = [layer(1, 0), layer(0, 1)]  # a hidden layer of no units: the kernels need 1..64
    x = jnp.asarray(rng.standard_normal((7, 1), dtype=np.float32))
    for params in (wide, deep, empty):
        assert TARGET not in lowered(params, x)
        np.testing.assert_array_equal(
            jax.jit(mlp_tanh)(params, x), jax.jit(mlp_tanh_reference)(params, x)
        )
    assert TARGET in lowered([layer(1, MAX_WIDTH), layer(MAX_WIDTH, 1)], x)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_other_floating_dtypes_use_the_reference(dtype):
    params = jax.tree.map(lambda a: a.astype(dtype), [layer(1, 3), layer(3, 1)])
    x = f32(5, 1).astype(dtype)
    assert TARGET not in lowered(params, x)
    assert mlp_tanh(params, x).dtype == dtype


def test_platforms_without_a_handler_lower_the_reference():
    params, x = [layer(1, 3), layer(3, 1)], f32(5, 1)
    assert TARGET in lowered(params, x, lowering_platforms=("cpu",))
    assert TARGET not in lowered(params, x, lowering_platforms=("tpu",))


FLOAT64 = """
import jax, jax.numpy as jnp, numpy as np
from nnreg.kernels import mlp_tanh, mlp_tanh_reference
rng = np.random.default_rng(0)
shapes = ((1, 4), (4, 1))
params = [{"W": jnp.asarray(rng.standard_normal(s)), "b": jnp.zeros(s[1])} for s in shapes]
x = jnp.asarray(rng.standard_normal((9, 1)))
assert x.dtype == jnp.float64
y = jax.jit(mlp_tanh)(params, x)
assert y.dtype == jnp.float64
assert float(jnp.max(jnp.abs(y - mlp_tanh_reference(params, x)))) < 1e-12
assert "nnreg_mlp_tanh" not in jax.jit(mlp_tanh).lower(params, x).as_text()
print("ok")
"""


def test_float64_uses_the_reference_with_x64_enabled():
    child = subprocess.run(
        [sys.executable, "-c", FLOAT64],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "JAX_ENABLE_X64": "1"},
    )
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[-3000:]


def _mlp_of_x(x):
    return mlp_tanh([layer(1, 3), layer(3, 1)], x)


def _dense_of_x(x):
    return dense_tanh(x, f32(1, 3), f32(3))


@pytest.mark.parametrize("f", [_mlp_of_x, _dense_of_x], ids=["mlp_tanh", "dense_tanh"])
def test_forward_mode_and_second_order_derivatives_raise(f):
    """Both kernels are reverse-mode only (custom_vjp over a native backward)."""
    x = f32(4, 1)
    with pytest.raises(TypeError, match="forward-mode autodiff"):
        jax.jacfwd(f)(x)
    first = jax.grad(lambda x: jnp.sum(f(x)))
    with pytest.raises(ValueError, match="FFI call to `nnreg_.*` cannot be differentiated"):
        jax.grad(lambda x: jnp.sum(first(x)))(x)
    with pytest.raises(ValueError, match="cannot be differentiated"):
        jax.hessian(lambda x: jnp.sum(f(x)))(x)


def _native_backward_call(params_size, input_gradient):
    """The backward handler called directly for widths (1, 2, 1) on 4 rows: dy, x, activations
    and packed params of ``params_size`` values (7 describe the network)."""
    results = [jax.ShapeDtypeStruct((4, 1), jnp.float32)]
    results.append(jax.ShapeDtypeStruct((params_size,), jnp.float32))
    call = jax.ffi.ffi_call("nnreg_mlp_tanh_backward", results)
    assert implementation("cpu") == "cpu"  # the handlers are registered
    flags = {"widths": np.asarray([1, 2, 1], np.int64), "input_gradient": np.int64(input_gradient)}
    return jax.block_until_ready(
        call(f32(4, 1), f32(4, 1), f32(1, 2, 64), f32(params_size), **flags)
    )


def test_the_native_backward_refuses_an_input_gradient_flag_other_than_0_or_1():
    # mlp_tanh passes 0 or 1; a direct call with anything else is refused, not guessed at.
    with pytest.raises(Exception, match="input_gradient=2 is neither 0 nor 1"):
        _native_backward_call(7, input_gradient=2)


def test_the_native_handlers_refuse_packed_params_of_the_wrong_size():
    # The packed vector's size follows from the widths; a mismatch is named, not read past.
    with pytest.raises(Exception, match=r"params or grads do not hold 7 values a member in "
                       r"widths\(1, 2, 1\), dy\(4, 1\).*params\(8\)"):  # fmt: skip
        _native_backward_call(8, input_gradient=0)
    assert np.isfinite(np.asarray(_native_backward_call(7, input_gradient=0)[1])).all()
