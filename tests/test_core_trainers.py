"""The compiled trainers against the lecture's figures and a step-by-step transcription."""

import collections
import functools
import logging

import jax
import numpy as np
import optax
import pytest

import nnreg.core as core
from nnreg.core import _engine, _epoch_chunk, _interrupt_safety


def lecture_loop(lecture, params, x, y, x_val, y_val, epochs, update):
    """The lecture's per-epoch Python loop, with any update: record losses, then update."""
    grad_fn, loss_fn = lecture.lecture_grad, lecture.lecture_loss_jit
    train_loss, val_loss = np.empty(epochs), np.empty(epochs)
    state = None
    for i in range(epochs):
        train_loss[i] = loss_fn(params, x, y)
        val_loss[i] = loss_fn(params, x_val, y_val)
        params, state = update(params, grad_fn(params, x, y), state)
    return params, train_loss, val_loss


def gd_update(lr):
    return lambda p, g, state: (jax.tree.map(lambda a, b: a - lr * b, p, g), state)


def optax_update(optimizer, params):
    def update(p, g, state):
        state = optimizer.init(params) if state is None else state
        updates, state = optimizer.update(g, state, p)
        return optax.apply_updates(p, updates), state

    return update


@pytest.fixture(scope="module")
def lecture_data():
    # The lecture's own setup: validation data drawn with the training seed.
    x, y = core.generate_data(seed=core.LECTURE_SEED)
    return x, y, x, y


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "expected"), [("gd", 0.05290), ("sgd", 0.05290), ("adam", 0.03739)]
)
def test_lecture_validation_mse(lecture_data, method, expected):
    params = core.init_params()
    if method == "gd":
        result = core.train_gradient_descent(params, *lecture_data, epochs=4000, learning_rate=1e-3)
    else:
        optimizer = {"sgd": optax.sgd, "adam": optax.adam}[method](1e-3)
        result = core.train_optax(params, optimizer, *lecture_data, epochs=4000)
    assert result.final_val_loss == pytest.approx(expected, abs=2e-4)
    assert not result.diverged
    assert result.train_loss.shape == result.val_loss.shape == (4000,)
    assert result.val_loss[-1] > result.final_val_loss  # recorded before the last update


@pytest.mark.slow
def test_gradient_descent_and_optax_sgd_agree(lecture_data):
    params = core.init_params()
    gd = core.train_gradient_descent(params, *lecture_data, epochs=4000, learning_rate=1e-3)
    sgd = core.train_optax(params, optax.sgd(1e-3), *lecture_data, epochs=4000)
    for a, b in zip(jax.tree.leaves(gd.params), jax.tree.leaves(sgd.params), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize(
    ("sizes", "seed", "method", "validate_on_x"),
    [
        ((1, 10, 10, 10, 1), 7, "gd", False),
        ((1, 6, 1), 11, "sgd", False),
        ((2, 5, 4, 3), 3, "adam", False),
        ((1, 10, 10, 10, 1), 42, "adam", False),
        # The lecture's case, validation inputs equal to the training inputs, which the
        # trainers evaluate with one forward pass.
        ((1, 10, 10, 10, 1), 5, "gd", True),
        ((2, 5, 4, 3), 6, "adam", True),
    ],
)
def test_trainers_follow_the_lecture_step_by_step(lecture, sizes, seed, method, validate_on_x):
    rng = np.random.RandomState(seed)
    n = 64
    x = rng.uniform(0, 5, size=(n, sizes[0])).astype(np.float32)
    x_val = x.copy() if validate_on_x else rng.uniform(0, 5, size=(32, sizes[0])).astype(np.float32)
    # A smooth target, as in the lecture: fitting pure noise makes Adam chaotic enough that
    # float32 rounding differences between two correct programs grow past 1e-6.
    y, y_val = (
        np.sin(a.sum(axis=1, keepdims=True)) * np.ones((1, sizes[-1]), np.float32)
        + 0.1 * rng.normal(size=(len(a), sizes[-1])).astype(np.float32)
        for a in (x, x_val)
    )
    params = core.init_params(sizes, seed=seed)
    epochs = 150
    if method == "gd":
        result = core.train_gradient_descent(
            params, x, y, x_val, y_val, epochs=epochs, learning_rate=0.003
        )
        update = gd_update(0.003)
    else:
        optimizer = {"sgd": optax.sgd, "adam": optax.adam}[method](0.003)
        result = core.train_optax(params, optimizer, x, y, x_val, y_val, epochs=epochs)
        update = optax_update(optimizer, params)
    ref_params, ref_train, ref_val = lecture_loop(
        lecture, params, x, y, x_val, y_val, epochs, update
    )
    np.testing.assert_allclose(result.train_loss, ref_train, atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(result.val_loss, ref_val, atol=1e-6, rtol=1e-6)
    for a, b in zip(jax.tree.leaves(result.params), jax.tree.leaves(ref_params), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=1e-6)


def test_progress_chunks_give_the_same_run_as_one_program():
    x, y = core.generate_data(data_size=100)
    x_val, y_val = core.generate_data(data_size=100, seed=core.VALIDATION_SEED)
    params = core.init_params()
    optimizer = optax.adam(1e-2)
    whole = core.train_optax(params, optimizer, x, y, x_val, y_val, epochs=250)
    seen = []
    chunked = core.train_optax(
        params,
        optimizer,
        x,
        y,
        x_val,
        y_val,
        epochs=250,
        progress=lambda done, total, loss: seen.append((done, total)),
        chunk_epochs=100,
    )
    done = [d for d, _ in seen]
    assert all(total == 250 for _, total in seen)
    assert done[-1] == 250 and len(done) >= 3
    # chunks never exceed chunk_epochs, and every epoch is reported exactly once
    assert all(0 < b - a <= 100 for a, b in zip([0, *done], done, strict=False))
    np.testing.assert_allclose(chunked.val_loss, whole.val_loss, rtol=1e-6)
    assert chunked.final_val_loss == pytest.approx(whole.final_val_loss, rel=1e-6)


def count_compiles(caplog, run):
    """XLA's compilations of the training chunk during ``run()``, on any thread: the engine
    compiles on another one, which ``jax.log_compiles()`` (the calling thread's) does not see."""
    caplog.clear()
    logged = jax.config.jax_log_compiles
    jax.config.update("jax_log_compiles", True)
    try:
        with caplog.at_level(logging.WARNING, logger="jax"):
            run()
    finally:
        jax.config.update("jax_log_compiles", logged)
    done = "Finished XLA compilation of jit(_run_chunk)"
    return sum(r.getMessage().startswith(done) for r in caplog.records)


@pytest.mark.parametrize("members", [1, 3])
def test_a_first_run_with_patience_compiles_its_chunk_program_once(members, caplog):
    """The best-so-far state starts laid out as the chunks return it: placed on jnp's default
    device instead, it made the second chunk compile the program again (0.6 s of a first fit)."""
    x, y = core.generate_data(data_size=37)  # a shape no other test compiles
    x_val, y_val = core.generate_data(data_size=37, seed=5)

    def run():
        if members == 1:
            params = core.init_params()
            return core.train_optax(params, optax.adam(1e-3), x, y, x_val, y_val, epochs=300,
                                    patience=250, chunk_epochs=50)  # fmt: skip
        return core.train_ensemble(
            x, y, x_val, y_val, seeds=range(members), learning_rates=1e-3, epochs=300,
            optimizer=optax.adam, patience=250, chunk_epochs=50,
        )  # fmt: skip

    assert count_compiles(caplog, run) == 1


def test_second_call_with_same_optimizer_does_not_recompile(caplog):
    x, y = core.generate_data(data_size=40)
    params = core.init_params()
    optimizer = optax.adam(1e-3)

    def run():
        core.train_optax(params, optimizer, x, y, x, y, epochs=30)

    assert count_compiles(caplog, run) == 1  # the check itself can see a compilation
    assert count_compiles(caplog, run) == 0


def test_new_learning_rate_does_not_recompile_gradient_descent(caplog):
    x, y = core.generate_data(data_size=40)
    params = core.init_params()

    def run(lr):
        return lambda: core.train_gradient_descent(params, x, y, x, y, epochs=31, learning_rate=lr)

    assert count_compiles(caplog, run(1e-3)) == 1
    assert count_compiles(caplog, run(5e-3)) == 0


@pytest.mark.parametrize("method", ["gd", "adam"])
def test_a_repeated_run_traces_and_compiles_nothing(method, caplog, monkeypatch):
    """Tracing the chunk again to find it in jit's cache cost 1-2 ms a run, and tracing the
    vmap of Adam's init ~6 ms: a run's fixed cost, paid by every fit and comparison."""
    x, y = core.generate_data(data_size=40)
    params = core.init_params()
    adam = optax.adam(1e-3)
    lowerings = []
    compile_interruptibly = _interrupt_safety.compile_interruptibly

    def counted(lower, interrupted):
        lowerings.append(lower)
        return compile_interruptibly(lower, interrupted)

    monkeypatch.setattr(_interrupt_safety, "compile_interruptibly", counted)
    monkeypatch.setattr(_engine, "_compiled_chunks", collections.OrderedDict())

    def run(rate):
        if method == "gd":
            return core.train_gradient_descent(params, x, y, x, y, epochs=33, learning_rate=rate)
        return core.train_optax(params, adam, x, y, x, y, epochs=33)

    first = run(1e-3)
    caplog.clear()
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        run(2e-3)
        again = run(1e-3)
    assert [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()] == []
    assert len(lowerings) == 1
    np.testing.assert_array_equal(again.val_loss, first.val_loss)
    for got, expected in zip(
        jax.tree.leaves(again.params), jax.tree.leaves(first.params), strict=True
    ):
        np.testing.assert_array_equal(got, expected)


def test_a_new_optimizer_compiles_only_its_training_program(caplog):
    x, y = core.generate_data(data_size=40)
    params = core.init_params()
    core.train_optax(params, optax.adam(1e-3), x, y, x, y, epochs=34)
    caplog.clear()
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        core.train_optax(params, optax.adam(2e-3), x, y, x, y, epochs=34)
    compiled = [r.getMessage().split()[1] for r in caplog.records if "Compiling" in r.getMessage()]
    assert compiled == ["jit(_run_chunk)"]


def test_a_jaxlib_without_the_tuned_compiler_options_trains_with_its_defaults(monkeypatch):
    x, y = core.generate_data(data_size=40)
    params = core.init_params()
    tuned = core.train_optax(params, optax.adam(1e-3), x, y, x, y, epochs=20)
    monkeypatch.setattr(_epoch_chunk, "TUNED_COMPILER_OPTIONS", {"xla_cpu_no_such_option": "1"})
    with pytest.raises(jax.errors.JaxRuntimeError, match="No such compile option"):
        jax.jit(abs, compiler_options=_epoch_chunk.TUNED_COMPILER_OPTIONS)(1.0)
    monkeypatch.setattr(
        _epoch_chunk, "compiled_chunk", functools.cache(_epoch_chunk.compiled_chunk.__wrapped__)
    )
    fallback = core.train_optax(params, optax.adam(1e-3), x, y, x, y, epochs=20)
    np.testing.assert_allclose(fallback.train_loss, tuned.train_loss, rtol=1e-6)


def test_divergence_is_reported_with_its_epoch():
    x, y = core.generate_data(data_size=100)
    result = core.train_gradient_descent(
        core.init_params(), x, y, x, y, epochs=200, learning_rate=50.0
    )
    assert result.diverged
    epoch = result.diverged_epoch
    assert 0 < epoch < 200
    assert np.isfinite(result.train_loss[:epoch]).all()
    assert not np.isfinite(result.train_loss[epoch]) or not np.isfinite(result.val_loss[epoch])


def test_a_sane_run_does_not_diverge_and_improves():
    x, y = core.generate_data(data_size=100)
    result = core.train_optax(core.init_params(), optax.adam(1e-2), x, y, x, y, epochs=300)
    assert not result.diverged and result.diverged_epoch == -1
    assert result.final_train_loss < result.train_loss[0] / 5


@pytest.mark.parametrize("name", ["gd", "sgd", "adam"])
def test_a_flat_update_trains_as_the_per_leaf_rule_does(name):
    x, y = core.generate_data(data_size=100)
    factory = core.optimizer_factory(name)
    runs = [
        core.train_optax(core.init_params(), rule(1e-2), x, y, x, y, epochs=100)
        for rule in (factory, core.flat_update(factory))
    ]
    per_leaf, flat = runs
    if name == "adam":  # the same arithmetic, which XLA may fuse in another order
        np.testing.assert_allclose(flat.val_loss, per_leaf.val_loss, rtol=1e-5)
    else:
        np.testing.assert_array_equal(flat.val_loss, per_leaf.val_loss)
    assert flat.final_val_loss < flat.val_loss[0]


def test_optax_chain_is_accepted():
    x, y = core.generate_data(data_size=50)
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2))
    result = core.train_optax(core.init_params(), optimizer, x, y, x, y, epochs=50)
    assert result.final_train_loss < result.train_loss[0]


def _good():
    x, y = core.generate_data(data_size=20)
    return core.init_params(), x, y


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda p, x, y: (p, x, y[:-1]), ValueError, "rows"),
        (lambda p, x, y: (p, x.ravel(), y), ValueError, "2-D"),
        (lambda p, x, y: (p, x, y.ravel()), ValueError, "2-D"),
        (lambda p, x, y: (p, np.hstack([x, x]), y), ValueError, "input size"),
        (lambda p, x, y: (p, x, np.hstack([y, y])), ValueError, "output size"),
        (lambda p, x, y: (p, np.where(x > 4, np.nan, x), y), ValueError, "NaN"),
        (lambda p, x, y: (p, x, np.where(y > 1, np.inf, y)), ValueError, "infinite"),
        (lambda p, x, y: (p, x.astype(bool), y), TypeError, "dtype"),
        (
            lambda p, x, y: (
                p[:1] + [{"W": np.ones((7, 10)), "b": np.ones((1, 10))}] + p[2:],
                x,
                y,
            ),
            ValueError,
            "previous layer",
        ),
        (lambda p, x, y: ([{"W": p[0]["W"]}], x, y), TypeError, "'W' and 'b'"),
    ],
)
def test_bad_input_is_rejected_with_a_named_problem(mutate, error, message):
    params, x, y = mutate(*_good())
    with pytest.raises(error, match=message):
        core.train_gradient_descent(params, x, y, x, y, epochs=3, learning_rate=1e-3)
    with pytest.raises(error, match=message):
        core.train_optax(params, optax.sgd(1e-3), x, y, x, y, epochs=3)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"epochs": 0, "learning_rate": 1e-3}, ValueError),
        ({"epochs": 2.0, "learning_rate": 1e-3}, TypeError),
        ({"epochs": 5, "learning_rate": 0.0}, ValueError),
        ({"epochs": 5, "learning_rate": -1e-3}, ValueError),
        ({"epochs": 5, "learning_rate": float("nan")}, ValueError),
    ],
)
def test_bad_epochs_and_learning_rate(kwargs, error):
    params, x, y = _good()
    with pytest.raises(error, match="epochs|learning_rate"):
        core.train_gradient_descent(params, x, y, x, y, **kwargs)


def test_more_epochs_than_the_compiled_loop_counts_are_refused():
    params, x, y = _good()
    with pytest.raises(ValueError, match=r"epochs must be at most 1073741824 \(2\*\*30\), got"):
        core.train_optax(params, optax.sgd(1e-3), x, y, x, y, epochs=2**30 + 1)
    with pytest.raises(ValueError, match=r"epochs must be at most 1073741824"):
        core.Regressor(epochs=2**31)


def test_train_optax_rejects_a_non_optimizer():
    params, x, y = _good()
    with pytest.raises(TypeError, match="GradientTransformation"):
        core.train_optax(params, lambda g: g, x, y, x, y, epochs=3)


def overfitting_problem():
    # Few noisy points and a wide network: the validation loss falls, then rises.
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 5, size=(16, 1))
    x_val = rng.uniform(0, 5, size=(200, 1))
    y, y_val = (np.sin(a) + 0.4 * rng.normal(size=a.shape) for a in (x, x_val))
    return core.init_params((1, 64, 64, 1), seed=1), x, y, x_val, y_val


def test_patience_stops_early_and_keeps_the_best_parameters():
    params, *data = overfitting_problem()
    result = core.train_optax(params, optax.adam(0.02), *data, epochs=5000, patience=100)
    assert result.stopped_early
    epochs_run = len(result.val_loss)
    assert epochs_run < 5000
    assert result.best_epoch is not None and epochs_run - result.best_epoch > 100
    assert result.final_val_loss == pytest.approx(float(np.min(result.val_loss)), rel=1e-6)
    assert result.final_val_loss == pytest.approx(result.val_loss[result.best_epoch], rel=1e-6)
    x_val, y_val = data[2], data[3]
    assert float(core.mse(result.params, x_val, y_val)) == pytest.approx(
        result.final_val_loss, rel=1e-5
    )
    assert result.val_loss[-1] > result.final_val_loss


def test_patience_that_never_runs_out_trains_every_epoch():
    x, y = core.generate_data(data_size=100)
    x_val, y_val = core.generate_data(data_size=100, seed=core.VALIDATION_SEED)
    params = core.init_params()
    plain = core.train_gradient_descent(params, x, y, x_val, y_val, epochs=300, learning_rate=1e-3)
    patient = core.train_gradient_descent(
        params, x, y, x_val, y_val, epochs=300, learning_rate=1e-3, patience=1000
    )
    assert not patient.stopped_early and len(patient.val_loss) == 300
    np.testing.assert_allclose(patient.val_loss, plain.val_loss, rtol=1e-6)
    # Gradient descent at this rate still improves every epoch: the best are the final ones.
    assert patient.best_epoch == 300
    assert patient.final_val_loss == pytest.approx(plain.final_val_loss, rel=1e-6)


@pytest.mark.parametrize(("patience", "error"), [(0, ValueError), (2.5, TypeError)])
def test_bad_patience(patience, error):
    params, x, y = _good()
    with pytest.raises(error, match="patience"):
        core.train_optax(params, optax.adam(1e-3), x, y, x, y, epochs=5, patience=patience)


def _stop_by_the_rule(val_loss, patience):
    """Where patience ends a run whose members' validation losses were ``val_loss``
    (members, epochs): before the first epoch by which no member has improved for more than
    ``patience`` epochs; None if every epoch ran."""
    best_loss = np.full(val_loss.shape[0], np.inf)
    best_epoch = np.zeros(val_loss.shape[0], int)
    for epoch in range(val_loss.shape[1] + 1):
        if (epoch - best_epoch > patience).all():
            return epoch
        if epoch < val_loss.shape[1]:
            improved = val_loss[:, epoch] < best_loss
            best_loss = np.where(improved, val_loss[:, epoch], best_loss)
            best_epoch = np.where(improved, epoch, best_epoch)
    return None


@pytest.mark.parametrize("chunk", [5, None])
def test_an_ensemble_stops_once_no_member_has_improved_for_patience_epochs(chunk):
    """Members at different rates stop improving at different epochs; the run goes on while
    any of them improves, however its epochs fall into chunks."""
    x, y = core.generate_data(data_size=60)
    x_val, y_val = core.generate_data(data_size=60, seed=9)
    result = core.train_ensemble(
        x, y, x_val, y_val,
        seeds=[1, 2, 3],
        learning_rates=[0.2, 0.05, 0.01],
        epochs=3000,
        optimizer=optax.adam,
        patience=25,
        chunk_epochs=chunk,
    )  # fmt: skip
    epochs_run = result.val_loss.shape[1]
    assert result.stopped_early
    assert _stop_by_the_rule(result.val_loss, 25) == epochs_run
    # The last member to improve is the one that held the run; the others stopped earlier.
    assert epochs_run - result.best_epoch.max() == 26
    assert result.best_epoch.min() < result.best_epoch.max()


@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_a_chunk_queued_after_patience_ran_out_trains_nothing(chunk):
    """The host queues the next chunk before it reads the last; patience ran out before epoch
    2, and the end of the run, weighed then, improved on epoch 0. That reopened the run in the
    queued chunk, which trained on under wrong epoch numbers (chunks of 1 and 3 ran 3 epochs
    and kept other parameters)."""
    x, y = core.generate_data(data_size=24)
    x_val, y_val = core.generate_data(data_size=24, seed=9)
    result = core.train_optax(
        core.init_params(), optax.adam(0.05), x, y, x_val, y_val,
        epochs=23, patience=1, chunk_epochs=chunk,
    )  # fmt: skip
    assert len(result.val_loss) == 2 and result.stopped_early
    assert result.val_loss[1] > result.val_loss[0]  # no improvement: patience 1 is spent
    assert result.best_epoch == 2  # the end of the run was the best
    kept_mse = float(core.mse(result.params, x_val, y_val))
    assert result.final_val_loss == pytest.approx(kept_mse, rel=1e-5)
    assert kept_mse < result.val_loss[0]


def test_the_default_chunks_stop_where_patience_runs_out():
    # Found by review: patience 5 ran out before epoch 12, and the default chunks ran on to 28.
    x, y = core.generate_data(data_size=24)
    x_val, y_val = core.generate_data(data_size=24, seed=9)
    result = core.train_optax(
        core.init_params(seed=3), optax.adam(0.1), x, y, x_val, y_val, epochs=300, patience=5
    )
    assert _stop_by_the_rule(result.val_loss[None], 5) == len(result.val_loss)
    assert result.best_epoch <= len(result.val_loss)
    kept_mse = float(core.mse(result.params, x_val, y_val))
    assert result.final_val_loss == pytest.approx(kept_mse, rel=1e-5)


def test_patience_beyond_int32_trains_every_epoch():
    x, y = core.generate_data(data_size=40)
    params = core.init_params()
    result = core.train_optax(params, optax.adam(1e-3), x, y, x, y, epochs=30, patience=2**40)
    assert not result.stopped_early and len(result.val_loss) == 30


def test_where_patience_stops_and_what_it_keeps_do_not_depend_on_the_chunks():
    """The engine sizes its chunks by measured time; the stop is decided inside them (at the
    earliest epoch patience could end the run), so the same run stops at the same epoch with
    the same kept parameters."""
    x, y = core.generate_data(data_size=60)
    x_val, y_val = core.generate_data(data_size=60, seed=9)
    params = core.init_params()
    runs = [
        core.train_optax(
            params,
            optax.adam(0.05),
            x,
            y,
            x_val,
            y_val,
            epochs=3000,
            patience=40,
            chunk_epochs=chunk,
        )  # fmt: skip
        for chunk in (7, 64, None)
    ]
    first = runs[0]
    assert first.stopped_early and len(first.val_loss) - first.best_epoch == 41
    for other in runs[1:]:
        assert (len(other.val_loss), other.best_epoch) == (len(first.val_loss), first.best_epoch)
        kept = zip(jax.tree.leaves(other.params), jax.tree.leaves(first.params), strict=True)
        for leaf, first_leaf in kept:
            np.testing.assert_array_equal(leaf, first_leaf)
