"""The four training methods of the lecture, each timed on a first and a repeated run."""

import dataclasses
import os
import time

import numpy as np

KERAS_DEFAULT_SGD_LEARNING_RATE = 0.01  # keras.optimizers.SGD(); the lecture keeps it


@dataclasses.dataclass
class MethodResult:
    method: str
    fused: bool
    kernel: str | None  # the hidden-layer implementation that actually ran; None for Keras
    train_mse: float
    val_mse: float
    seconds_first: float
    seconds_steady: float
    diverged: bool
    diverged_epoch: int | None
    train_loss: np.ndarray
    val_loss: np.ndarray
    prediction: np.ndarray  # the fitted curve on the training inputs, for the plot


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
    "cuda"), as ``_runtime.hidden_layer(fused)`` gives them.
    """
    import optax

    import nnreg.core as core

    params = core.init_params(core.LECTURE_LAYER_SIZES, seed=problem.seed)
    data = (problem.x, problem.y, problem.x_val, problem.y_val)
    common = {"epochs": problem.epochs, "layer": layer, "progress": progress}
    if method == "jax-gd":

        def train():
            return core.train_gradient_descent(
                params, *data, learning_rate=problem.learning_rate, **common
            )
    else:
        # One optimizer object for both runs, so the second reuses the compiled program.
        optimizer = {"optax-sgd": optax.sgd, "optax-adam": optax.adam}[method](
            problem.learning_rate
        )

        def train():
            return core.train_optax(params, optimizer, *data, **common)

    result, seconds_first, seconds_steady = _timed_twice(train)
    return MethodResult(
        method=method,
        fused=fused,
        kernel=kernel,
        train_mse=result.final_train_loss,
        val_mse=result.final_val_loss,
        seconds_first=seconds_first,
        seconds_steady=seconds_steady,
        diverged=result.diverged,
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
    bad = ~(np.isfinite(train_loss) & np.isfinite(val_loss))
    return MethodResult(
        method="keras",
        fused=False,
        kernel=None,
        train_mse=float(model.evaluate(problem.x, problem.y, verbose=0)),
        val_mse=float(model.evaluate(problem.x_val, problem.y_val, verbose=0)),
        seconds_first=seconds_first,
        seconds_steady=seconds_steady,
        diverged=bool(bad.any()),
        diverged_epoch=int(np.argmax(bad)) if bad.any() else None,
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
