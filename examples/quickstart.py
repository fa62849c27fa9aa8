"""The lecture's three JAX fits with nnreg.core, on a validation set with its own noise."""

import optax

import nnreg.core as core

x, y = core.generate_data()  # the lecture's 400 points, seed 1234
x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
params = core.init_params()  # 1 -> 10 -> 10 -> 10 -> 1, He init, biases of ones

runs = {
    "jax-gd": core.train_gradient_descent(
        params, x, y, x_val, y_val, epochs=4000, learning_rate=1e-3
    ),
    "optax-sgd": core.train_optax(params, optax.sgd(1e-3), x, y, x_val, y_val, epochs=4000),
    "optax-adam": core.train_optax(params, optax.adam(1e-3), x, y, x_val, y_val, epochs=4000),
}
for name, result in runs.items():
    print(f"{name:<11} validation MSE {result.final_val_loss:.5f}  diverged: {result.diverged}")
