"""Whole-process time of `nnreg compare` against the lecture's own code, back to back.

Runs the lecture's gradient descent, Optax SGD and Optax Adam (4000 epochs each, as a
script of its own in a fresh interpreter) and `nnreg compare --methods
jax-gd,optax-sgd,optax-adam --no-plots` with a cold and then a warm compilation cache.
Usage: python benchmarks/compare_speed.py [--repeats 2]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LECTURE_SCRIPT = """
import jax, jax.numpy as jnp, numpy as np, optax

EPOCHS, LEARNING_RATE = 4000, 0.001

def generate_data(seed=1234, data_size=400):
    np.random.seed(seed)
    x = np.linspace(0, 5, num=data_size)
    y = x**0.5 + np.sin(x) + 0.2 * np.random.randn(data_size)
    return x.reshape(data_size, 1), y.reshape(data_size, 1)

def initialize_params(seed=1234, k=10):
    np.random.seed(seed)
    return [dict(W=np.random.normal(size=(m, n)) * np.sqrt(2 / m), b=np.ones((1, n)))
            for m, n in ((1, k), (k, k), (k, k), (k, 1))]

@jax.jit
def f(params, x):
    *hidden, last = params
    for layer in hidden:
        x = jnp.tanh(x @ layer["W"] + layer["b"])
    return x @ last["W"] + last["b"]

@jax.jit
def loss_fn(params, x, y):
    return jnp.mean((f(params, x) - y) ** 2)

loss_gradient = jax.jit(jax.grad(loss_fn))

@jax.jit
def update_parameters(params, x, y):
    gradient = loss_gradient(params, x, y)
    return jax.tree.map(lambda p, g: p - LEARNING_RATE * g, params, gradient)

def train_jax_model(params, x, y, x_val, y_val):
    training_loss, validation_loss = np.empty(EPOCHS), np.empty(EPOCHS)
    for i in range(EPOCHS):
        training_loss[i] = loss_fn(params, x, y)
        validation_loss[i] = loss_fn(params, x_val, y_val)
        params = update_parameters(params, x, y)
    return params

def train_jax_optax(params, x, y, solver):
    opt_state = solver.init(params)
    for _ in range(EPOCHS):
        grad = loss_gradient(params, x, y)
        updates, opt_state = solver.update(grad, opt_state, params)
        params = optax.apply_updates(params, updates)
    return params

x, y = generate_data()
x_val, y_val = generate_data()
params = train_jax_model(initialize_params(), x, y, x_val, y_val)
print("gd", loss_fn(params, x_val, y_val))
for solver in (optax.sgd(LEARNING_RATE), optax.adam(LEARNING_RATE)):
    print(loss_fn(train_jax_optax(initialize_params(), x, y, solver), x_val, y_val))
"""


def wall_seconds(command, env):
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    nnreg = Path(sys.executable).with_name("nnreg")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "lecture.py"
        script.write_text(LECTURE_SCRIPT)
        compare = [str(nnreg), "compare", "--methods", "jax-gd,optax-sgd,optax-adam"]
        compare += ["--no-plots", "--quiet", "--out", str(Path(tmp) / "out")]
        times = {"lecture": [], "nnreg cold cache": [], "nnreg warm cache": []}
        for repeat in range(args.repeats):
            env = {**os.environ, "NNREG_CACHE_DIR": str(Path(tmp) / f"cache{repeat}")}
            times["lecture"].append(wall_seconds([sys.executable, str(script)], env))
            times["nnreg cold cache"].append(wall_seconds(compare, env))
            times["nnreg warm cache"].append(wall_seconds(compare, env))
    lecture = min(times["lecture"])
    print(f"best of {args.repeats} whole-process runs (3 methods x 4000 epochs)")
    for name, seconds in times.items():
        print(f"{name:<17} {min(seconds):6.2f} s  {lecture / min(seconds):5.1f}x")


if __name__ == "__main__":
    main()
