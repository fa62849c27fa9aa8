"""The lecture's own code, the baseline of the speed benchmarks.

Imported by train_speed.py; run as a script (by compare_speed.py) it is the whole lecture
workload for the three JAX methods in a fresh interpreter, with the lecture's own data and
initial parameters and nothing from nnreg; with --keras, the lecture's Keras benchmark runs
first, as in the lecture.
"""

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

EPOCHS, LEARNING_RATE = 4000, 1e-3
NUM_LAYERS, OUTPUT_DIM = 4, 10  # the Keras network: three Dense(10, tanh), then Dense(1)


def lecture_loss(params, x, y):
    *hidden, last = params
    for layer in hidden:
        x = jnp.tanh(x @ layer["W"] + layer["b"])
    return jnp.mean((x @ last["W"] + last["b"] - y) ** 2)


lecture_loss_jit = jax.jit(lecture_loss)
lecture_grad = jax.jit(jax.grad(lecture_loss))


@jax.jit
def lecture_gd_update(params, x, y):
    return jax.tree.map(lambda p, g: p - LEARNING_RATE * g, params, lecture_grad(params, x, y))


def lecture_gd(params, x, y, x_val, y_val, epochs):
    # The lecture's train_jax_model: record both losses, then update, once per epoch.
    train_loss, val_loss = np.empty(epochs), np.empty(epochs)
    for i in range(epochs):
        train_loss[i] = lecture_loss_jit(params, x, y)
        val_loss[i] = lecture_loss_jit(params, x_val, y_val)
        params = lecture_gd_update(params, x, y)
    return params


def lecture_optax(solver):
    # The lecture's train_jax_optax: it records no losses at all.
    def run(params, x, y, x_val, y_val, epochs):
        opt_state = solver.init(params)
        for _ in range(epochs):
            grad = lecture_grad(params, x, y)
            updates, opt_state = solver.update(grad, opt_state, params)
            params = optax.apply_updates(params, updates)
        return params

    return run


def generate_data(seed=1234, data_size=400):
    np.random.seed(seed)
    x = np.linspace(0, 5, num=data_size)
    y = x**0.5 + np.sin(x) + 0.2 * np.random.randn(data_size)
    return x.reshape(data_size, 1), y.reshape(data_size, 1)


def initialize_params(seed=1234, k=10):
    np.random.seed(seed)
    shapes = ((1, k), (k, k), (k, k), (k, 1))
    return [{"W": np.random.normal(size=(m, n)) * np.sqrt(2 / m), "b": np.ones((1, n))}
            for m, n in shapes]  # fmt: skip


def lecture_keras(x, y, x_val, y_val, epochs):
    # The lecture's build_keras_model, train_keras_model and the prediction of its
    # plot_keras_output (not the drawing), imported when used so that train_speed.py needs
    # no Keras; the lecture sets the backend before its import.
    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    model = keras.Sequential()
    for _ in range(NUM_LAYERS - 1):
        model.add(keras.layers.Dense(units=OUTPUT_DIM, activation="tanh"))
    model.add(keras.layers.Dense(units=1))
    model.compile(optimizer=keras.optimizers.SGD(), loss="mean_squared_error")
    model.fit(x, y, batch_size=max(x.shape), verbose=0, epochs=epochs,
              validation_data=(x_val, y_val))  # fmt: skip
    mse = model.evaluate(x_val, y_val, verbose=2)
    model.predict(x_val, verbose=2)
    return mse


def main():
    parser = argparse.ArgumentParser(description="the lecture's workload, timed from outside")
    parser.add_argument("--keras", action="store_true", help="run the Keras benchmark first")
    x, y = generate_data()
    x_val, y_val = generate_data()
    if parser.parse_args().keras:
        print("keras", lecture_keras(x, y, x_val, y_val, EPOCHS))
    params = lecture_gd(initialize_params(), x, y, x_val, y_val, EPOCHS)
    print("gd", lecture_loss_jit(params, x_val, y_val))
    for solver in (optax.sgd(LEARNING_RATE), optax.adam(LEARNING_RATE)):
        params = lecture_optax(solver)(initialize_params(), x, y, x_val, y_val, EPOCHS)
        print(lecture_loss_jit(params, x_val, y_val))


if __name__ == "__main__":
    main()
