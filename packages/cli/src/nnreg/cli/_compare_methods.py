"""The lecture's four training methods, each timed on a first and a repeated run."""

import dataclasses
import os
import time

import numpy as np

KERAS_DEFAULT_SGD_LEARNING_RATE = 0.01  # keras.optimizers.SGD(); the lecture keeps it

# Each JAX method of the lecture is nnreg.core's trainer with one of core's update rules.
JAX_METHOD_OPTIMIZERS = {"jax-gd": "gd", "optax-sgd": "sgd", "optax-adam": "adam"}


@dataclasses.dataclass
class MethodResult:
    method: str
    optimizer: str
    learning_rate: float
    fused: bool
    kernel: str | None  # the hidden-layer implementation that actually ran; None for Keras
    train_mse: float
    val_mse: float
    seconds_first: float
    seconds_steady: float
    diverged_epoch: int  # -1: did not diverge (nnreg.core's convention)
    train_loss: np.ndarray
    val_loss: np.ndarray
    prediction: np.ndarray  # the fitted curve on the training inputs, for the plot

    @property
    def diverged(self):
        return self.diverged_epoch >= 0


@dataclasses.dataclass(frozen=True)
class Problem:
    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    seed: int
    epochs: int
    learning_rate: float


def run_jax_method(method, problem, *, fused, layer, kernel, progress):
    """Train with nnreg.core twice on the same inputs: the first run compiles, the second not.

    ``layer`` is the hidden layer and ``kernel`` the implementation it runs ("jnp", "cpu" or
    "cuda"), as ``hidden_layer(fused)`` gives them.
    """
    import nnreg.core as core

    optimizer_name = JAX_METHOD_OPTIMIZERS[method]
    params = core.init_params(core.LECTURE_LAYER_SIZES, seed=problem.seed)
    # One optimizer object for both runs, so the second reuses the compiled program.
    optimizer = core.optimizer_factory(optimizer_name)(problem.learning_rate)

    def train():
        return core.train_optax(
            params,
            optimizer,
            problem.x,
            problem.y,
            problem.x_val,
            problem.y_val,
            epochs=problem.epochs,
            layer=layer,
            progress=progress,
        )

    result, seconds_first, seconds_steady = _timed_twice(train)
    return MethodResult(
        method=method,
        optimizer=optimizer_name,
        learning_rate=problem.learning_rate,
        fused=fused,
        kernel=kernel,
        train_mse=result.final_train_loss,
        val_mse=result.final_val_loss,
        seconds_first=seconds_first,
        seconds_steady=seconds_steady,
        diverged_epoch=result.diverged_epoch,
        train_loss=result.train_loss,
        val_loss=result.val_loss,
        prediction=np.asarray(core.forward(result.params, problem.x, layer)),
    )


def run_keras(problem, *, progress):
    """The lecture's Keras benchmark as written: full-batch SGD with Keras' defaults."""
    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(
            f"Keras was already imported with the {keras.backend.backend()!r} backend; "
            "nnreg needs KERAS_BACKEND=jax"
        )
    import jax

    # Keras' Dense adds a (n,) bias to (batch, n) by rank promotion, which a host process
    # (a test suite, a notebook) may have made an error for its own code.
    with jax.numpy_rank_promotion("allow"):
        return _train_keras(keras, problem, progress)


def _train_keras(keras, problem, progress):
    import nnreg.core as core

    keras.utils.set_random_seed(problem.seed)
    model = keras.Sequential(
        [keras.Input(shape=(problem.x.shape[1],))]
        + [keras.layers.Dense(10, activation="tanh") for _ in range(3)]
        + [keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(), loss="mean_squared_error")
    # Copies: Keras donates its variables' buffers to the training step.
    initial_weights = [np.array(v.value) for v in model.weights]
    callbacks = [_keras_progress_callback(keras, progress, problem.epochs)] if progress else []

    def train():
        for variable, value in zip(model.weights, initial_weights, strict=True):
            variable.assign(value)
        return model.fit(
            problem.x,
            problem.y,
            batch_size=len(problem.x),
            epochs=problem.epochs,
            verbose=0,
            validation_data=(problem.x_val, problem.y_val),
            callbacks=callbacks,
        ).history

    # The repeat restores the first run's initial weights, so it trains the same model again
    # with Keras' compiled step already built.
    history, seconds_first, seconds_steady = _timed_twice(train)
    train_loss = np.asarray(history["loss"], np.float32)
    val_loss = np.asarray(history["val_loss"], np.float32)
    train_mse = float(model.evaluate(problem.x, problem.y, verbose=0))
    val_mse = float(model.evaluate(problem.x_val, problem.y_val, verbose=0))
    return MethodResult(
        method="keras",
        optimizer="sgd",
        learning_rate=KERAS_DEFAULT_SGD_LEARNING_RATE,
        fused=False,
        kernel=None,
        train_mse=train_mse,
        val_mse=val_mse,
        seconds_first=seconds_first,
        seconds_steady=seconds_steady,
        diverged_epoch=core.divergence_epoch(train_loss, val_loss, train_mse, val_mse),
        train_loss=train_loss,
        val_loss=val_loss,
        prediction=np.asarray(model.predict(problem.x, verbose=0)),
    )


def _timed_twice(train):
    start = time.perf_counter()
    train()
    first_done = time.perf_counter()
    result = train()
    return result, first_done - start, time.perf_counter() - first_done


def _keras_progress_callback(keras, progress, epochs, every=50):
    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            done = epoch + 1
            if done % every == 0 or done == epochs:
                progress(done, epochs, float((logs or {}).get("loss", float("nan"))))

    return Progress()
