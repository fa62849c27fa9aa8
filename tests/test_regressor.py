"""nnreg.core.Regressor: fit, predict in the data's units, the model file, early stopping."""

import importlib.metadata
import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import nnreg.core as core

FAST = {"epochs": 60, "patience": None}


def curve_data(rows=80, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, (rows, 2))
    y = np.sqrt(x[:, 0]) + np.sin(x[:, 1]) + 0.1 * rng.normal(size=rows)
    return x, y


@pytest.fixture(scope="module")
def fitted():
    x, y = curve_data()
    return core.Regressor(**FAST).fit(x, y, x_columns=["a", "b"], y_column="target"), x, y


def test_fit_reports_errors_in_the_data_units(fitted):
    model, x, y = fitted
    report = model.report_
    assert (report.n_train, report.n_val) == (64, 16)
    assert len(report.val_rows) == 16 and len(set(report.val_rows)) == 16
    assert report.epochs_run == report.max_epochs == 60
    assert not report.stopped_early and report.best_epoch is None
    assert report.stop_reason == "reached the limit of 60 epochs"
    assert report.train_loss.shape == report.val_loss.shape == (60,)
    train = np.setdiff1d(np.arange(len(y)), report.val_rows)
    prediction = model.predict(x)
    assert prediction.shape == (80,)
    assert report.train_mse == pytest.approx(np.mean((prediction[train] - y[train]) ** 2))
    assert report.val_mse == pytest.approx(
        np.mean((prediction[report.val_rows] - y[report.val_rows]) ** 2)
    )
    assert report.train_mse < np.var(y)  # it learnt something in 60 epochs
    assert (model.x_columns_, model.y_column_) == (("a", "b"), "target")


def test_predictions_come_back_in_the_targets_units():
    # Standardisation makes the fit blind to units: dollars or cents give the same model.
    x, y = curve_data()
    plain = core.Regressor(**FAST).fit(x, y).predict(x)
    rescaled = core.Regressor(**FAST).fit(1000 * x - 7, 250 * y + 40).predict(1000 * x - 7)
    np.testing.assert_allclose(rescaled, 250 * plain + 40, rtol=1e-4, atol=1e-3)


def test_same_seed_same_model_other_seed_other_split():
    x, y = curve_data()
    first = core.Regressor(**FAST, seed=3).fit(x, y)
    again = core.Regressor(**FAST, seed=3).fit(x, y)
    other = core.Regressor(**FAST, seed=4).fit(x, y)
    np.testing.assert_array_equal(first.predict(x), again.predict(x))
    assert not np.array_equal(first.report_.val_rows, other.report_.val_rows)


def test_patience_stops_early_and_keeps_the_best_parameters():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 5, (30, 1)), rng.normal(size=30)  # pure noise: overfits at once
    model = core.Regressor(
        learning_rate=0.1, weight_decay=0, patience=10, epochs=2000, ensemble=1, linear=False
    )
    report = model.fit(x, y).report_
    assert report.stopped_early and report.epochs_run < 2000
    assert 10 < report.epochs_run - report.best_epoch <= 20
    assert "early stopping" in report.stop_reason
    val = report.val_rows
    best_val_loss = report.val_loss[report.best_epoch]
    assert best_val_loss == pytest.approx(report.val_loss.min())
    assert np.mean((model.predict(x[val]) - y[val]) ** 2) == pytest.approx(report.val_mse)


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_every_optimizer_trains(optimizer):
    x, y = curve_data()
    model = core.Regressor(optimizer=optimizer, **FAST).fit(x, y)
    assert model.report_.train_loss[-1] < model.report_.train_loss[0]


def test_gd_and_sgd_take_the_same_steps():
    x, y = curve_data()
    gd = core.Regressor(optimizer="gd", **FAST).fit(x, y).predict(x)
    sgd = core.Regressor(optimizer="sgd", **FAST).fit(x, y).predict(x)
    np.testing.assert_array_equal(gd, sgd)


def test_save_and_load_round_trip(fitted, tmp_path):
    model, x, _ = fitted
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = core.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert (loaded.x_columns_, loaded.y_column_, loaded.hidden) == (
        ("a", "b"),
        "target",
        (10, 10, 10),
    )
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_model_file_is_plain_npz_with_every_field(fitted, tmp_path):
    model, _, _ = fitted
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    assert all(a.dtype != object for a in arrays.values())
    assert str(arrays["format"]) == "nnreg-regressor" and int(arrays["format_version"]) == 3
    assert str(arrays["nnreg_version"]) == importlib.metadata.version("nnreg-core")
    assert str(arrays["activation"]) == "tanh"
    assert arrays["layer_sizes"].tolist() == [2, 10, 10, 10, 1]
    assert arrays["x_columns"].tolist() == ["a", "b"] and str(arrays["y_column"]) == "target"
    assert arrays["x_mean"].shape == arrays["x_std"].shape == (2,)
    assert arrays["y_mean"].shape == arrays["y_std"].shape == ()
    for i, (fan_in, fan_out) in enumerate([(2, 10), (10, 10), (10, 10), (10, 1)]):
        assert arrays[f"W{i}"].shape == (fan_in, fan_out) and arrays[f"b{i}"].shape == (1, fan_out)


def test_failed_write_leaves_the_old_model_byte_identical(fitted, tmp_path, monkeypatch):
    model, _, _ = fitted
    path = tmp_path / "model.npz"
    model.save(path)
    good = path.read_bytes()

    def half_written(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(OSError, match="No space"):
        model.save(path)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_failed_fit_keeps_the_previous_fit(fitted):
    model, x, _ = fitted
    before = model.predict(x)
    with pytest.raises(ValueError, match="constant"):
        model.fit(x, np.ones(len(x)))
    np.testing.assert_array_equal(model.predict(x), before)


def test_divergence_is_an_error_not_a_model():
    x, y = curve_data()
    model = core.Regressor(optimizer="sgd", learning_rate=1e4, epochs=50, patience=None)
    with pytest.raises(core.TrainingError, match=r"diverged at epoch \d+ \(loss not finite\)"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(x)


def test_a_replacement_layer_is_used_for_training_and_prediction():
    # What --fused does with nnreg.kernels.dense_tanh, here with a plain-jnp equivalent.
    calls = []

    def counting_tanh_layer(x, W, b):
        calls.append(W.shape)
        return jnp.tanh(x @ W + b)

    x, y = curve_data()
    # One network: an ensemble's batched products round differently from the layer's, and
    # Adam's first steps from the zero output layer, turning tiny gradients into full steps,
    # grow that to 0.1-0.5% (more when the members are split over two devices, as they are
    # after an in-process `nnreg fit`), where one network's two runs agree to 1e-6.
    # One weight decay: "auto" trains three networks, batched.
    plain = core.Regressor(**FAST, ensemble=1, weight_decay=0.03).fit(x, y)
    swapped = core.Regressor(**FAST, ensemble=1, weight_decay=0.03, layer=counting_tanh_layer).fit(
        x, y
    )
    assert calls  # traced into the compiled trainer
    assert swapped.report_.val_mse == pytest.approx(plain.report_.val_mse, rel=1e-4)
    np.testing.assert_allclose(swapped.predict(x), plain.predict(x), rtol=1e-4)


@pytest.mark.parametrize(("ensemble", "decay"), [(1, 0.03), (2, 0.03), (1, "auto"), (2, "auto")])
def test_every_fit_trains_with_one_flat_update(ensemble, decay, calls_to):
    from nnreg.core import _member_training

    flattened = calls_to(_member_training, "flat_update")
    for cached in (
        _member_training._optimizer_factory,
        _member_training._optimizer,
        _member_training._decay_in_state_factory,
    ):
        cached.cache_clear()  # rules built by earlier tests would skip the recorder
    x, y = curve_data()
    settings = dict(FAST, ensemble=ensemble, weight_decay=decay)
    plain = core.Regressor(**settings).fit(x, y)
    assert len(flattened) == 1
    fused = core.Regressor(**settings, forward=core.forward).fit(x, y)
    assert len(flattened) == 1  # the same rule, and so the same compiled trainer's update
    # The same arithmetic through the network as one function rather than layer by layer;
    # an ensemble's batched products round differently there, and Adam's first steps from
    # the zero output layer grow that to about 1e-3 (see the test above).
    # With "auto" the three decays' networks train batched too, and 0.4% was seen.
    rel = {(1, 0.03): 1e-5, (2, 0.03): 3e-3}.get((ensemble, decay), 1e-2)
    assert fused.report_.weight_decay == plain.report_.weight_decay
    assert fused.report_.val_mse == pytest.approx(plain.report_.val_mse, rel=rel)


@pytest.mark.parametrize("rows", [0, 1, 37])
def test_members_are_evaluated_together_as_each_alone(rows, monkeypatch):
    from nnreg.core import _regressor

    x, y = curve_data()
    model = core.Regressor(**FAST, ensemble=3, linear=False).fit(x, y)
    state = model._fitted()
    inputs = np.random.default_rng(1).uniform(0, 5, (rows, 2)).astype(np.float32)
    alone = np.stack([np.asarray(core.forward(member, inputs)) for member in state.members])
    together = model._evaluate_members(state.members, inputs)
    assert together.shape == (3, rows, 1) and together.dtype == np.float64
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)
    # Rows in blocks (here of two rows for three members ten wide) give the same values, to
    # float32 rounding (XLA's products round differently for other row counts).
    monkeypatch.setattr(_regressor, "ACTIVATION_FLOATS", 60)
    blocks = model._evaluate_members(state.members, inputs)
    np.testing.assert_allclose(blocks, together, rtol=1e-5, atol=1e-6)


def test_predicting_a_new_number_of_rows_mostly_reuses_a_compiled_network(fitted, caplog):
    """Evaluation pads rows to a power of two, so 65 to 128 rows share one program (run
    eagerly, every operation compiled for every new row count: 0.2-0.3 s a shape)."""
    model, _, _ = fitted
    x, _ = curve_data(rows=128, seed=3)
    model.predict(x[:70])
    caplog.clear()
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        values = [model.predict(x[:rows]) for rows in (65, 100, 128)]
    assert [r.getMessage() for r in caplog.records if "Compiling" in r.getMessage()] == []
    np.testing.assert_allclose(values[1], values[2][:100], rtol=1e-6)


def test_a_fit_evaluates_its_training_and_validation_rows_in_one_compiled_program(caplog):
    """For its report a fit evaluates every row in one pass: the training rows (120, padded
    to 128) and the validation rows (30, padded to 64) each compiled their own program."""
    x, y = curve_data(rows=150, seed=4)
    model = core.Regressor(**FAST, hidden=(7, 3), ensemble=3)  # a network no other test has
    caplog.clear()
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        model.fit(x, y)
    compiled = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("Compiling jit(_evaluated)") for m in compiled) == 1, compiled
    report = model.report_
    members = model._members_predict(model._fitted(), x)
    val = report.val_rows
    assert report.val_mse == pytest.approx(np.mean((members[:, val].mean(axis=0) - y[val]) ** 2))
    train = np.setdiff1d(np.arange(len(x)), val)
    train_mse = np.mean((members[:, train].mean(axis=0) - y[train]) ** 2)
    assert report.train_mse == pytest.approx(train_mse)
