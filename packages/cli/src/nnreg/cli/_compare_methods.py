"""The lecture's four training methods, each a ``train(progress)`` that can be repeated.

Keras runs as the lecture wrote it; the three JAX methods are nnreg.core's trainer with one
of core's update rules. A repeat trains the same model from the same initial weights again,
so that its time is the steady one, compilation and tracing already done.
"""

import dataclasses
import functools
import os
import time

import numpy as np

from . import _interrupts

KERAS_DEFAULT_SGD_LEARNING_RATE = 0.01  # keras.optimizers.SGD(); the lecture keeps it

# Each JAX method of the lecture is nnreg.core's trainer with one of core's update rules.
JAX_METHOD_OPTIMIZERS = {"jax-gd": "gd", "optax-sgd": "sgd", "optax-adam": "adam"}


@dataclasses.dataclass(frozen=True)
class MethodResult:
    method: str
    optimizer: str
    learning_rate: float
    fusion: str | None  # "network", "layer" or None (not fused; always for Keras)
    kernel: str | None  # the implementation that actually ran; None for Keras
    train_mse: float
    val_mse: float
    seconds_first: float  # the first run, compilation (or Keras' tracing) included
    seconds_steady: float | None  # a repeated run, when asked for
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


def method_trainer(method, problem, fusion):
    """``train(progress) -> MethodResult`` for ``method``, timing one run per call; the JAX
    methods train through ``fusion`` (``choose_fusion``'s)."""
    if method == "keras":
        return _keras_trainer(problem)
    return _jax_trainer(method, problem, fusion)


def _jax_trainer(method, problem, fusion):
    import nnreg.core as core

    optimizer_name = JAX_METHOD_OPTIMIZERS[method]
    params = core.init_params(core.LECTURE_LAYER_SIZES, seed=problem.seed)
    # One optimizer object for every run, so a repeat reuses the compiled program.
    optimizer = fusion.update_rules(optimizer_name)(problem.learning_rate)
    data = (problem.x, problem.y, problem.x_val, problem.y_val)

    def train(progress):
        start = time.perf_counter()
        with _interrupts.raised_during():  # core stops after its running chunk
            result = core.train_optax(
                params, optimizer, *data, epochs=problem.epochs,
                layer=fusion.layer, forward=fusion.forward, progress=progress,
            )  # fmt: skip
        seconds = time.perf_counter() - start
        return MethodResult(
            method=method,
            optimizer=optimizer_name,
            learning_rate=problem.learning_rate,
            fusion=fusion.kind,
            kernel=fusion.kernel,
            train_mse=result.final_train_loss,
            val_mse=result.final_val_loss,
            seconds_first=seconds,
            seconds_steady=None,
            diverged_epoch=result.diverged_epoch,
            train_loss=result.train_loss,
            val_loss=result.val_loss,
            prediction=np.asarray(_predict(fusion, result.params, problem.x)),
        )

    return train


def _predict(fusion, params, x):
    return _compiled_prediction(fusion.forward, fusion.layer)(params, x)


@functools.cache
def _compiled_prediction(forward, layer):
    """The fitted curve's network as one compiled program, shared by every method: run
    eagerly, each of its operations compiled apart (about ten, 0.2 s of a cold run)."""
    import jax

    import nnreg.core as core

    if forward is not None:
        return jax.jit(forward)
    return jax.jit(functools.partial(core.forward, layer=layer))


def _keras_trainer(problem):
    """The lecture's Keras benchmark as written: full-batch SGD with Keras' defaults."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    import keras

    import nnreg.core as core

    if keras.backend.backend() != "jax":
        raise RuntimeError(
            f"Keras was already imported with the {keras.backend.backend()!r} backend; "
            "nnreg needs KERAS_BACKEND=jax"
        )
    # Keras' Dense adds a (n,) bias to (batch, n) by rank promotion, which a host process
    # (a test suite, a notebook) may have made an error for its own code.
    with jax.numpy_rank_promotion("allow"):
        keras.utils.set_random_seed(problem.seed)
        model = keras.Sequential(
            [keras.Input(shape=(problem.x.shape[1],))]
            + [keras.layers.Dense(10, activation="tanh") for _ in range(3)]
            + [keras.layers.Dense(1)]
        )
        model.compile(optimizer=keras.optimizers.SGD(), loss="mean_squared_error")
        # Copies: Keras donates its variables' buffers to the training step.
        initial_weights = [np.array(v.value) for v in model.weights]

    def train(progress):
        with jax.numpy_rank_promotion("allow"):
            for variable, value in zip(model.weights, initial_weights, strict=True):
                variable.assign(value)
            callbacks = [_epoch_end_callback(keras, progress, problem.epochs)]
            start = time.perf_counter()
            history = model.fit(
                problem.x,
                problem.y,
                batch_size=len(problem.x),
                epochs=problem.epochs,
                verbose=0,
                validation_data=(problem.x_val, problem.y_val),
                callbacks=callbacks,
            ).history
            seconds = time.perf_counter() - start
            train_mse = float(model.evaluate(problem.x, problem.y, verbose=0))
            val_mse = float(model.evaluate(problem.x_val, problem.y_val, verbose=0))
            prediction = np.asarray(model.predict(problem.x, verbose=0))
        train_loss = np.asarray(history["loss"], np.float32)
        val_loss = np.asarray(history["val_loss"], np.float32)
        return MethodResult(
            method="keras",
            optimizer="sgd",
            learning_rate=KERAS_DEFAULT_SGD_LEARNING_RATE,
            fusion=None,
            kernel=None,
            train_mse=train_mse,
            val_mse=val_mse,
            seconds_first=seconds,
            seconds_steady=None,
            diverged_epoch=core.divergence_epoch(train_loss, val_loss, train_mse, val_mse),
            train_loss=train_loss,
            val_loss=val_loss,
            prediction=prediction,
        )

    return train


def _epoch_end_callback(keras, progress, epochs, every=50):
    """Report ``progress`` (if any) every ``every`` epochs, and stop on Ctrl-C.

    Keras trains with interrupts held: its epoch's end, where Keras has read the epoch's
    losses back from the device, is where an interrupt stops it with nothing computing.
    """

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            done = epoch + 1
            if progress is not None and (done % every == 0 or done == epochs):
                progress(done, epochs, float((logs or {}).get("loss", float("nan"))))
            _interrupts.checkpoint()

    return EpochEnd()
