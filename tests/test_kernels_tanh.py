"""The CPU kernels' tanh is accurate to a few ulp RELATIVE over the float range.

A log-spaced sweep of |z| from the smallest subnormal to beyond saturation goes through
dense_tanh (x @ [[1]] + 0) and through mlp_tanh (a 1-1-1 network with identity weights).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from nnreg.kernels import dense_tanh, implementation, mlp_tanh

MAX_ULP = 6


def sweep():
    tiny = np.float32(np.finfo(np.float32).smallest_subnormal)
    magnitudes = np.geomspace(tiny, np.float32(20.0), 20_000, dtype=np.float64).astype(np.float32)
    return np.concatenate([magnitudes, -magnitudes, [0.0, np.inf, -np.inf]]).astype(np.float32)


def through_dense(z):
    one = jnp.ones((1, 1), jnp.float32)
    return np.asarray(dense_tanh(jnp.asarray(z).reshape(-1, 1), one, jnp.zeros(1, jnp.float32)))


def through_mlp(z):
    params = [{"W": jnp.ones((1, 1), jnp.float32), "b": jnp.zeros(1, jnp.float32)}] * 2
    return np.asarray(mlp_tanh(params, jnp.asarray(z).reshape(-1, 1)))


@pytest.mark.parametrize("kernel", [through_dense, through_mlp], ids=["dense_tanh", "mlp_tanh"])
def test_relative_error_in_ulp(kernel):
    assert implementation("cpu") == "cpu"
    z = sweep()
    got = kernel(z).reshape(-1).astype(np.float64)
    exact = np.tanh(z.astype(np.float64))
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    normal = np.abs(z) >= np.finfo(np.float32).tiny
    ulps = np.abs(got - exact)[normal] / spacing[normal]
    assert ulps.max() <= MAX_ULP, (ulps.max(), z[normal][ulps.argmax()])
    # XLA's CPU runtime may flush subnormals to zero; otherwise they pass through exactly.
    subnormal = ~normal & (z != 0)
    assert np.all((got[subnormal] == z[subnormal]) | (got[subnormal] == 0.0))
    assert got[-3:].tolist() == [0.0, 1.0, -1.0]
