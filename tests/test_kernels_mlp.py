"""nnreg.kernels.mlp_tanh against mlp_tanh_reference: values and every gradient, under jit,
grad, vmap (nested too) and lax.scan, on the CPU kernel (and the CUDA one where present)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnreg.kernels import MAX_WIDTH, mlp_tanh, mlp_tanh_reference

FORWARD_TARGET = "nnreg_mlp_tanh_forward"
BACKWARD_TARGET = "nnreg_mlp_tanh_backward"


def network(widths, rng, members=None, b_row=True):
    """nnreg-format params; with `members`, every leaf gets a leading member axis."""
    lead = () if members is None else (members,)
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        W = rng.standard_normal((*lead, fan_in, fan_out), dtype=np.float32)
        W *= np.float32(1.5 / np.sqrt(fan_in))
        b = 0.5 * rng.standard_normal((*lead, *((1,) if b_row else ()), fan_out), dtype=np.float32)
        params.append({"W": jnp.asarray(W), "b": jnp.asarray(b)})
    return params


def outputs_and_grads(f, params, x, cotangent, batch_x):
    """(output, grads of params, grad of x) of sum(f(params, x) * cotangent), vmapped over
    members (x per member or shared)."""
    members = jax.vmap(f, in_axes=(0, 0 if batch_x else None))

    def loss(params, x):
        y = members(params, x)
        return jnp.sum(y * cotangent), y

    (_, y), grads = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(params, x)
    return y, grads


def assert_close(got, want, what):
    """Elementwise within 1e-6 + 1e-5 × the largest magnitude of `want` (float32 sums over
    thousands of rows cancel, so a per-element relative bound would test rounding only)."""
    for (path, g), w in zip(
        jax.tree_util.tree_leaves_with_path(got), jax.tree.leaves(want), strict=True
    ):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, path)
        if w.size:
            # numpy: eager jnp ops would compile once per new shape.
            g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
            bound = 1e-6 + 1e-5 * np.max(np.abs(w))
            worst = np.max(np.abs(g - w))
            assert worst <= bound, (what, jax.tree_util.keystr(path), worst, bound)


# Fifty programs are compiled once and run once each: skip LLVM's slow optimisations.
FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


def run_compiled(function, *args):
    """function(*args) as one program compiled with FAST_COMPILE."""
    return jax.jit(function).lower(*args).compile(FAST_COMPILE)(*args)


def random_configurations(count=50, seed=2024):
    rng = np.random.default_rng(seed)
    rows = [0, 1, 63, 64, 65, 400, 5000]
    for index in range(count):
        depth = int(rng.integers(1, 7))
        top = MAX_WIDTH if index % 3 == 0 else 16
        widths = [int(w) for w in rng.integers(1, top + 1, size=depth + 1)]
        if index % 5 == 0:
            widths[int(rng.integers(0, depth + 1))] = MAX_WIDTH
        n = rows[index] if index < len(rows) else int(rng.integers(0, 2000))
        yield index, widths, n, int(rng.integers(1, 9)), bool(index % 2)


CONFIGURATIONS = list(random_configurations())


@pytest.mark.parametrize(
    "seed, widths, n, members, batch_x",
    CONFIGURATIONS,
    ids=[f"{w}-n{n}-m{m}-{'x' if bx else 'shared'}" for _, w, n, m, bx in CONFIGURATIONS],
)
def test_values_and_gradients_match_reference(platform, seed, widths, n, members, batch_x):
    rng = np.random.default_rng(seed)
    params = network(widths, rng, members, b_row=bool(seed % 3))
    x_shape = (members, n, widths[0]) if batch_x else (n, widths[0])
    x = jnp.asarray(rng.standard_normal(x_shape, dtype=np.float32))
    cotangent = jnp.asarray(rng.standard_normal((members, n, widths[-1]), dtype=np.float32))
    got, want = (
        run_compiled(
            lambda p, x, c, f=f: outputs_and_grads(f, p, x, c, batch_x), params, x, cotangent
        )
        for f in (mlp_tanh, mlp_tanh_reference)
    )
    assert got[0].shape == (members, n, widths[-1])
    assert_close(got, want, f"widths {widths}, n {n}")


def test_unbatched_call_and_grad(platform):
    rng = np.random.default_rng(1)
    params = network([1, 10, 10, 10, 1], rng, b_row=True)
    x = jnp.asarray(rng.standard_normal((400, 1), dtype=np.float32))
    assert_close(mlp_tanh(params, x), mlp_tanh_reference(params, x), "forward")

    def value_and_grads(f):
        loss = lambda p, x: jnp.sum(jnp.sin(f(p, x)))  # noqa: E731
        return lambda p, x: jax.value_and_grad(loss, argnums=(0, 1))(p, x)

    got, want = (
        run_compiled(value_and_grads(f), params, x) for f in (mlp_tanh, mlp_tanh_reference)
    )
    assert_close(got, want, "grad")


NESTED = {
    # outer in_axes, inner in_axes, params lead dims, x shape
    "params twice": ((0, None), (0, None), (2, 3), (50, 4)),
    "params outer, x inner": ((0, None), (None, 0), (2,), (3, 50, 4)),
    "x outer, params inner": ((None, 0), (0, None), (3,), (2, 50, 4)),
    "both at both": ((0, 0), (0, 0), (2, 3), (2, 3, 50, 4)),
}


@pytest.mark.parametrize("outer, inner, lead, x_shape", NESTED.values(), ids=NESTED.keys())
def test_nested_vmap(platform, outer, inner, lead, x_shape):
    rng = np.random.default_rng(3)
    widths = [4, 9, 5, 3]
    params = network(widths, rng, b_row=False)
    params = jax.tree.map(
        lambda a: jnp.asarray(
            np.asarray(a)[(None,) * len(lead)] * rng.uniform(0.5, 1.5, (*lead, *a.shape))
        ).astype(jnp.float32),
        params,
    )
    x = jnp.asarray(rng.standard_normal(x_shape, dtype=np.float32))

    def nested(f):
        inner_f = jax.vmap(f, in_axes=inner)
        return jax.vmap(inner_f, in_axes=outer)

    def value_and_grads(f):
        def loss(p, x):
            y = nested(f)(p, x)
            return jnp.sum(jnp.tanh(y)), y

        return jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)

    got, want = (
        run_compiled(value_and_grads(f), params, x) for f in (mlp_tanh, mlp_tanh_reference)
    )
    assert_close(got, want, "values and grads")


def adam_members(f, params, x, y, steps=25, learning_rate=1e-2):
    """Per-member Adam written out, as the trainers run it: grad of a vmapped loss in scan."""

    def loss(params):
        prediction = jax.vmap(f, in_axes=(0, None))(params, x)
        return jnp.mean((prediction - y[None]) ** 2)

    def step(state, _):
        params, m, v, t = state
        value, grads = jax.value_and_grad(loss)(params)
        t = t + 1
        m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, m, grads)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, v, grads)
        params = jax.tree.map(
            lambda p, m, v: (
                p - learning_rate * (m / (1 - 0.9**t)) / (jnp.sqrt(v / (1 - 0.999**t)) + 1e-8)
            ),
            params,
            m,
            v,
        )
        return (params, m, v, t), value

    zeros = jax.tree.map(jnp.zeros_like, params)
    (params, *_), losses = run_compiled(
        lambda p: jax.lax.scan(step, (p, zeros, zeros, 0.0), length=steps), params
    )
    return params, losses


def test_scan_training_matches_reference(platform):
    rng = np.random.default_rng(4)
    params = network([1, 10, 10, 10, 1], rng, members=8)
    x = jnp.linspace(0.0, 5.0, 400, dtype=jnp.float32).reshape(400, 1)
    y = jnp.sqrt(x) + jnp.sin(x)
    got_params, got_losses = adam_members(mlp_tanh, params, x, y)
    want_params, want_losses = adam_members(mlp_tanh_reference, params, x, y)
    assert float(got_losses[-1]) < float(got_losses[0])
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-4)
    assert_close(
        jax.tree.map(lambda a: a / 10, got_params),
        jax.tree.map(lambda a: a / 10, want_params),
        "params",
    )


def test_eight_members_lower_to_one_custom_call(platform):
    rng = np.random.default_rng(5)
    params = network([1, 10, 10, 10, 1], rng, members=8)
    x = jnp.ones((400, 1), jnp.float32)
    forward = jax.jit(jax.vmap(mlp_tanh, in_axes=(0, None))).lower(params, x).as_text()
    assert forward.count(f"custom_call @{FORWARD_TARGET}(") == 1 and BACKWARD_TARGET not in forward

    def loss(params):
        return jnp.sum(jax.vmap(mlp_tanh, in_axes=(0, None))(params, x))

    training = jax.jit(jax.grad(loss)).lower(params).as_text()
    assert training.count(f"custom_call @{FORWARD_TARGET}(") == 1
    assert training.count(f"custom_call @{BACKWARD_TARGET}(") == 1
    assert "while" not in training  # no loop of per-member calls


def test_the_backward_skips_the_input_gradient_unless_x_is_differentiated(platform):
    rng = np.random.default_rng(6)
    params = network([3, 10, 10, 1], rng)
    x = jnp.asarray(rng.standard_normal((50, 3), dtype=np.float32))

    def loss(params, x, f=mlp_tanh):
        return jnp.sum(f(params, x) ** 2)

    def lowered(argnums):
        return jax.jit(jax.grad(loss, argnums=argnums)).lower(params, x).as_text()

    # Training differentiates the parameters only: the kernel is told to skip dx.
    assert "input_gradient = 0" in lowered(0) and "input_gradient = 1" not in lowered(0)
    assert "input_gradient = 1" in lowered(1) and "input_gradient = 1" in lowered((0, 1))
    for argnums in (0, 1, (0, 1)):
        got = jax.grad(loss, argnums=argnums)(params, x)
        want = jax.grad(loss, argnums=argnums)(params, x, mlp_tanh_reference)
        assert_close(got, want, argnums)
