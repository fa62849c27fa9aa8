"""Runs with a flat update rule carry each member's parameters as one vector, which the
whole-network kernel reads and whose gradient it writes with no copies in between."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

import nnreg.core as core
from nnreg.core import _flat_parameters, _predictors
from nnreg.kernels import mlp_tanh


def _params(seed=0):
    return core.init_params(seed=seed)


def test_the_layout_is_ravel_pytrees_and_round_trips_with_leading_axes():
    params = _params()
    layout = _flat_parameters.FlatLayout.of(params)
    want, _ = ravel_pytree(params)
    np.testing.assert_array_equal(layout.flatten(params), want)
    members = jax.tree.map(lambda *leaves: np.stack(leaves), params, _params(1), _params(2))
    flat = layout.flatten(members)
    assert isinstance(flat, np.ndarray) and flat.shape == (3, want.size)  # stays on the host
    np.testing.assert_array_equal(flat[1], ravel_pytree(_params(1))[0])
    for back in (layout.unflatten(flat), layout.unflatten(jnp.asarray(flat))):
        assert jax.tree.structure(back) == jax.tree.structure(members)
        for got, leaf in zip(jax.tree.leaves(back), jax.tree.leaves(members), strict=True):
            np.testing.assert_array_equal(got, leaf)


@pytest.mark.parametrize("members", [1, 3])
def test_the_kernel_reads_the_flat_parameters_and_writes_their_gradient_in_place(members):
    # Were the leaves copied out of the vector and their gradients gathered back, the
    # compiled gradient would hold slices and a concatenation around the custom calls.
    params = _params()
    layout = _flat_parameters.FlatLayout.of(params)
    flat = jnp.tile(layout.flatten(params), (members, 1))
    predict = _predictors.MemberPredictor(forward=mlp_tanh, layout=layout)
    x = jnp.linspace(0.0, 5.0, 40, dtype=jnp.float32).reshape(-1, 1)

    def loss(flat):
        return jnp.sum(predict(flat, x) ** 2)

    compiled = jax.jit(jax.grad(loss)).lower(flat).compile().as_text()
    assert compiled.count("custom-call(") == 2
    assert "concatenate(" not in compiled and "slice(" not in compiled
    per_leaf = jax.grad(lambda p: jnp.sum(mlp_tanh(p, x) ** 2))(params)
    np.testing.assert_allclose(jax.grad(loss)(flat)[0], ravel_pytree(per_leaf)[0], rtol=1e-6)


@pytest.mark.parametrize("name", ["gd", "adam"])
def test_a_flat_run_through_the_kernel_trains_as_a_per_leaf_run_and_returns_the_tree(
    name, calls_to
):
    flattened = calls_to(_flat_parameters.FlatLayout, "flatten")
    x, y = core.generate_data(data_size=100)
    factory = core.optimizer_factory(name)
    params = _params()
    per_leaf = core.train_optax(params, factory(1e-2), x, y, x, y, epochs=60, forward=mlp_tanh)
    assert flattened == []  # a per-leaf rule keeps the tree
    flat = core.train_optax(
        params, core.flat_update(factory)(1e-2), x, y, x, y, epochs=60, forward=mlp_tanh
    )
    assert flattened  # the run carried the parameters flat
    assert jax.tree.structure(flat.params) == jax.tree.structure(params)
    for got, want in zip(jax.tree.leaves(flat.params), jax.tree.leaves(per_leaf.params),
                         strict=True):  # fmt: skip
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(flat.val_loss, per_leaf.val_loss, rtol=1e-4)
    assert flat.final_val_loss < flat.val_loss[0]


def test_a_flat_ensemble_with_patience_keeps_each_members_best_parameters_as_trees():
    x, y = core.generate_data(data_size=100)
    x_val, y_val = core.generate_data(data_size=100, seed=core.VALIDATION_SEED)
    kwargs = {"seeds": [1, 2, 3], "learning_rates": [1e-2, 3e-2, 0.3], "epochs": 300}
    result = core.train_ensemble(
        x, y, x_val, y_val, optimizer=core.flat_update(optax.adam), patience=20,
        forward=mlp_tanh, **kwargs,
    )  # fmt: skip
    assert (result.best_epoch < result.train_loss.shape[1]).any()  # some kept an older best
    for k in range(3):
        member = result.member_params(k)
        assert jax.tree.structure(member) == jax.tree.structure(_params())
        kept = core.mse(member, x_val, y_val)
        np.testing.assert_allclose(kept, result.final_val_loss[k], rtol=1e-4)
