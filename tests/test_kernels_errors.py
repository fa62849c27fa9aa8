"""Bad inputs to nnreg.kernels raise Python errors naming the shapes, and never crash.

The calls run in a child interpreter, so that a crash in native code fails these tests
instead of killing pytest.
"""

import json
import os
import subprocess
import sys

import pytest

# name: (call, expected exception, text the message must contain)
CASES = {
    "int x": ("dense_tanh(i32(2, 3), f32(3, 2), f32(2))", "TypeError", ["int32", "x(2, 3)"]),
    "bool b": ("dense_tanh(f32(2, 3), f32(3, 2), f32(2) > 0)", "TypeError", ["bool", "b(2,)"]),
    "complex W": ("dense_tanh(f32(2, 3), f32(3, 2) * 1j, f32(2))", "TypeError", ["complex"]),
    "3-D x": ("dense_tanh(f32(2, 2, 3), f32(3, 2), f32(2))", "ValueError", ["x(2, 2, 3)"]),
    "1-D x": ("dense_tanh(f32(3), f32(3, 2), f32(2))", "ValueError", ["x(3,)", "W(3, 2)"]),
    "1-D W": ("dense_tanh(f32(2, 3), f32(3), f32(2))", "ValueError", ["W(3,)"]),
    "mismatched k": (
        "dense_tanh(f32(2, 3), f32(4, 2), f32(2))",
        "ValueError",
        ["x(2, 3)", "W(4, 2)"],
    ),
    "wrong b length": ("dense_tanh(f32(2, 3), f32(3, 2), f32(3))", "ValueError", ["b(3,)"]),
    "b with 2 rows": ("dense_tanh(f32(2, 3), f32(3, 2), f32(2, 2))", "ValueError", ["b(2, 2)"]),
    "scalar b": ("dense_tanh(f32(2, 3), f32(3, 2), f32())", "ValueError", ["b()"]),
    "None": ("dense_tanh(None, f32(3, 2), f32(2))", "TypeError", ["x is not an array"]),
    "text": ("dense_tanh(f32(2, 3), 'W', f32(2))", "TypeError", ["W is not an array"]),
    "under jit": (
        "jax.jit(dense_tanh)(f32(2, 3), f32(4, 2), f32(2))",
        "ValueError",
        ["x(2, 3)", "W(4, 2)"],
    ),
    "under vmap": (
        "jax.vmap(dense_tanh)(f32(5, 2, 3), f32(5, 4, 2), f32(5, 2))",
        "ValueError",
        ["x(2, 3)", "W(4, 2)"],
    ),
    "under grad": (
        "jax.grad(lambda x: dense_tanh(x, f32(3, 2), f32(4)).sum())(f32(2, 3))",
        "ValueError",
        ["b(4,)"],
    ),
    "reference": (
        "dense_tanh_reference(f32(2, 3), f32(4, 2), f32(2))",
        "ValueError",
        ["x(2, 3)", "W(4, 2)"],
    ),
}

CHILD = """
import json, sys
import jax, jax.numpy as jnp
from nnreg.kernels import dense_tanh, dense_tanh_reference

def f32(*shape):
    return jnp.ones(shape, jnp.float32)

def i32(*shape):
    return jnp.ones(shape, jnp.int32)

for name, call in json.loads(sys.argv[1]).items():
    try:
        jax.block_until_ready(eval(call))
        outcome = {"type": None, "message": "no error"}
    except Exception as error:
        outcome = {"type": type(error).__name__, "message": str(error)}
    print(json.dumps({name: outcome}), flush=True)
"""


def run_child(script, *args, **env):
    # The child stays off any GPU: the parent process may hold most of its memory.
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "JAX_PLATFORMS": "cpu", **env},
    )


@pytest.fixture(scope="module")
def outcomes():
    calls = {name: call for name, (call, _, _) in CASES.items()}
    child = run_child(CHILD, json.dumps(calls))
    assert child.returncode == 0, f"child crashed ({child.returncode}):\n{child.stderr[-3000:]}"
    results = {}
    for line in child.stdout.splitlines():
        results.update(json.loads(line))
    return results


@pytest.mark.parametrize("name", CASES)
def test_bad_input_raises_naming_shapes(outcomes, name):
    _, expected_type, fragments = CASES[name]
    outcome = outcomes[name]
    assert outcome["type"] == expected_type, outcome
    for fragment in fragments:
        assert fragment in outcome["message"], outcome


FLOAT64 = """
import jax, jax.numpy as jnp, numpy as np
from nnreg.kernels import dense_tanh, dense_tanh_reference
rng = np.random.default_rng(0)
x, W, b = (jnp.asarray(rng.standard_normal(s)) for s in ((7, 3), (3, 4), (4,)))
assert x.dtype == jnp.float64
y = jax.jit(dense_tanh)(x, W, b)
assert y.dtype == jnp.float64
assert float(jnp.max(jnp.abs(y - dense_tanh_reference(x, W, b)))) < 1e-12
assert "nnreg_dense_tanh" not in jax.jit(dense_tanh).lower(x, W, b).as_text()
f32 = [a.astype(jnp.float32) for a in (x, W, b)]
assert "nnreg_dense_tanh_forward" in jax.jit(dense_tanh).lower(*f32).as_text()
print("ok")
"""


def test_float64_uses_the_reference_with_x64_enabled():
    child = run_child(FLOAT64, JAX_ENABLE_X64="1")
    assert child.returncode == 0 and child.stdout.strip() == "ok", child.stderr[-3000:]
