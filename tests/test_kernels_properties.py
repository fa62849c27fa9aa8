"""Property-based checks of dense_tanh and mlp_tanh against their jnp references: random
shapes (no rows included) and random values (large magnitudes included), bounded so that
CI stays fast."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnreg.kernels import (
    MAX_WIDTH,
    dense_tanh,
    dense_tanh_reference,
    mlp_tanh,
    mlp_tanh_reference,
)

BOUNDED = settings(max_examples=30, deadline=None)


def matrices(shape, magnitude):
    magnitude = float(np.float32(magnitude))
    values = st.floats(-magnitude, magnitude, width=32, allow_subnormal=False)
    return hnp.arrays(np.float32, shape, elements=values)


@st.composite
def layers(draw):
    n = draw(st.integers(0, 300))
    k, m = draw(st.integers(1, 80)), draw(st.integers(1, 80))
    magnitude = draw(st.sampled_from([1.0, 10.0, 1e3]))
    return draw(matrices((n, k), magnitude)), draw(matrices((k, m), 1.0)), draw(matrices(m, 5.0))


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, MAX_WIDTH), min_size=depth + 1, max_size=depth + 1))
    n = draw(st.integers(0, 300))
    magnitude = draw(st.sampled_from([1.0, 10.0, 1e3]))
    params = [
        {"W": draw(matrices((a, b), 2.0 / np.sqrt(a))), "b": draw(matrices((1, b), 3.0))}
        for a, b in zip(widths[:-1], widths[1:], strict=True)
    ]
    return params, draw(matrices((n, widths[0]), magnitude))


def float32_scale(params, x):
    """How large float32 rounding in the network can grow: the largest |pre-activation| any
    layer can reach, times the gains of the layers after it."""
    h = float(np.max(np.abs(x), initial=0.0))
    scale = 1.0
    for layer in params:
        gain = float(np.max(np.abs(layer["W"]).sum(axis=0), initial=0.0))
        scale = max(scale, h * gain + float(np.max(np.abs(layer["b"]))), scale * (1.0 + gain))
        h = 1.0
    return scale


def assert_within(got, want, scale):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= 2e-5 * scale), np.max(np.abs(got - want), initial=0)


@BOUNDED
@given(layers())
def test_dense_tanh_matches_reference(layer):
    x, W, b = (jnp.asarray(a) for a in layer)
    scale = 1.0 + float(np.max(np.abs(layer[0]), initial=0.0)) * float(
        np.max(np.abs(layer[1]).sum(axis=0))
    )
    assert_within(dense_tanh(x, W, b), dense_tanh_reference(x, W, b), scale)


@BOUNDED
@given(networks())
def test_mlp_tanh_matches_reference(network):
    params, x = network
    params = jax.tree.map(jnp.asarray, params)
    assert_within(
        mlp_tanh(params, jnp.asarray(x)),
        mlp_tanh_reference(params, jnp.asarray(x)),
        float32_scale(network[0], x),
    )


# Found by hypothesis: one row of large inputs, whose pre-activation (52.2) the kernel and the
# reference sum in another order; the first layer's weight gradient multiplies that rounding by 59.
ONE_ROW_OF_59 = (
    [{"W": np.full((33, 1), 0.02679511, np.float32), "b": np.zeros((1, 1), np.float32)}],
    np.full((1, 33), 59.0, np.float32),
)


@settings(max_examples=15, deadline=None)
@given(networks())
@example(ONE_ROW_OF_59)
def test_mlp_tanh_gradients_match_reference(network):
    params, x = network
    params, x = jax.tree.map(jnp.asarray, params), jnp.asarray(x)

    def grads(f):
        return jax.jit(jax.grad(lambda p, x: jnp.sum(jnp.sin(f(p, x))), argnums=(0, 1)))(params, x)

    n = max(x.shape[0], 1)
    scale = float32_scale(network[0], network[1]) * n
    # The first leaf, the first layer's dW, multiplies each row's rounding error by its inputs.
    input_gain = max(1.0, float(np.max(np.abs(network[1]), initial=0.0)))
    for i, (got, want) in enumerate(
        zip(
            jax.tree.leaves(grads(mlp_tanh)),
            jax.tree.leaves(grads(mlp_tanh_reference)),
            strict=True,
        )
    ):
        # A gradient summed over many rows is as large as the sum: float32 sums taken in
        # another order differ by an ulp of that (0.016 at 131647 in one found example).
        leaf_scale = scale * input_gain if i == 0 else scale
        assert_within(got, want, max(leaf_scale, float(np.max(np.abs(want), initial=0.0))))
