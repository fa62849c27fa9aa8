"""nnreg.core's data and network against the lecture's own numpy recipes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nnreg.core as core


def test_generate_data_is_bit_identical_to_the_lecture(lecture):
    x, y = core.generate_data()
    x_ref, y_ref = lecture.generate_data()
    assert x.shape == y.shape == (400, 1)
    assert x.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_generate_data_leaves_the_global_generator_alone():
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    core.generate_data(seed=99)
    core.init_params(seed=99)
    assert np.random.rand() == expected


def test_validation_seed_gives_different_noise_on_the_same_grid():
    x, y = core.generate_data(seed=core.LECTURE_SEED)
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    np.testing.assert_array_equal(x, x_val)
    assert not np.allclose(y, y_val)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"data_size": 0}, ValueError),
        ({"data_size": 2.5}, TypeError),
        ({"x_min": -1.0}, ValueError),
        ({"x_min": 3.0, "x_max": 1.0}, ValueError),
        ({"x_max": float("inf")}, ValueError),
    ],
)
def test_generate_data_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        core.generate_data(**kwargs)


def test_init_params_matches_the_lecture_in_float32(lecture):
    params = core.init_params()
    reference = lecture.initialize_params()
    assert len(params) == 4
    for ours, theirs in zip(params, reference, strict=True):
        assert ours["W"].dtype == ours["b"].dtype == jnp.float32
        # The lecture's float64 draws become float32 when its jitted code runs.
        np.testing.assert_array_equal(ours["W"], theirs["W"].astype(np.float32))
        np.testing.assert_array_equal(ours["b"], theirs["b"].astype(np.float32))


def test_init_params_any_layer_sizes():
    params = core.init_params((3, 7, 2), seed=5)
    assert [p["W"].shape for p in params] == [(3, 7), (7, 2)]
    assert [p["b"].shape for p in params] == [(1, 7), (1, 2)]
    assert np.std(np.asarray(params[0]["W"])) == pytest.approx(np.sqrt(2 / 3), rel=0.5)


@pytest.mark.parametrize(
    ("sizes", "error"),
    [((1,), ValueError), ((1, 0, 1), ValueError), ((1, 2.0, 1), TypeError), (5, TypeError)],
)
def test_init_params_rejects_bad_layer_sizes(sizes, error):
    with pytest.raises(error):
        core.init_params(sizes)


def test_forward_and_mse_match_a_numpy_transcription():
    params = core.init_params((1, 10, 10, 10, 1), seed=3)
    x, y = core.generate_data(data_size=50)
    h = x.astype(np.float32)
    for p in params[:-1]:
        h = np.tanh(h @ np.asarray(p["W"]) + np.asarray(p["b"]))
    expected = h @ np.asarray(params[-1]["W"]) + np.asarray(params[-1]["b"])
    np.testing.assert_allclose(
        core.forward(params, jnp.asarray(x, jnp.float32)), expected, rtol=1e-5
    )
    assert core.mse(params, x, y) == pytest.approx(np.mean((expected - y) ** 2), rel=1e-5)


def test_forward_uses_the_given_layer_for_hidden_layers_only():
    calls = []

    def relu_layer(x, W, b):
        calls.append(W.shape)
        return jax.nn.relu(x @ W + b)

    params = core.init_params((2, 4, 3, 1))
    core.forward(params, jnp.ones((5, 2)), layer=relu_layer)
    assert calls == [(2, 4), (4, 3)]


def test_default_layer_equals_the_same_layer_passed_as_a_custom_one():
    params = core.init_params((2, 9, 5, 3), seed=8)
    x = jnp.asarray(np.random.RandomState(0).normal(size=(37, 2)), jnp.float32)
    row_major = core.forward(params, x, layer=lambda x, W, b: jnp.tanh(x @ W + b))
    np.testing.assert_allclose(core.forward(params, x), row_major, rtol=1e-6, atol=1e-6)
