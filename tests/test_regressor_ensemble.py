"""Regressor(ensemble=K) and its linear part: members trained as one program, predictions
with their spread and intervals, ensemble model files, and old single-network files."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

import nnreg.core as core

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "fit-example"

# One weight decay: these tests are about the ensemble, not about choosing the decay.
FAST = {"epochs": 80, "patience": None, "weight_decay": 0.03}


def curve_data(rows=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 5, (rows, 1))
    y = np.sqrt(x[:, 0]) + np.sin(x[:, 0]) + 0.2 * rng.normal(size=rows)
    return x, y


@pytest.fixture(scope="module")
def ensemble():
    x, y = curve_data()
    return core.Regressor(ensemble=3, seed=5, **FAST).fit(x, y), x, y


def test_members_start_from_successive_seeds_and_predict_their_mean(ensemble):
    model, x, y = ensemble
    members = model._members_predict(model._fitted(), x)
    assert members.shape == (3, len(x))
    # Member 0 starts from the seed that also draws the split: it is the single network.
    alone = core.Regressor(seed=5, ensemble=1, **FAST).fit(x, y)
    # Another program, so other rounding: Adam's first steps from the zero output layer turn
    # tiny gradients into full steps, and the differences grow to about 1e-3.
    np.testing.assert_allclose(members[0], alone.predict(x), rtol=3e-3, atol=3e-3)
    mean, std = model.predict(x, return_std=True)
    np.testing.assert_allclose(mean, members.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, members.std(axis=0), rtol=1e-12)
    assert (std > 0).all()  # different initial weights, different networks


def test_the_report_gives_each_members_validation_mse_and_the_ensembles(ensemble):
    model, x, y = ensemble
    report = model.report_
    val = report.val_rows
    members = model._members_predict(model._fitted(), x[val])
    expected = [np.mean((m - y[val]) ** 2) for m in members]
    np.testing.assert_allclose(report.member_val_mse, expected, rtol=1e-9)
    assert report.val_mse == pytest.approx(np.mean((members.mean(axis=0) - y[val]) ** 2))
    assert report.train_loss.shape == report.val_loss.shape == (80,)


def test_one_network_has_no_spread_and_predict_returns_the_mean_alone():
    x, y = curve_data()
    model = core.Regressor(ensemble=1, **FAST).fit(x, y)
    mean, std = model.predict(x, return_std=True)
    np.testing.assert_array_equal(mean, model.predict(x))
    np.testing.assert_array_equal(std, np.zeros(len(x)))
    assert model.report_.member_val_mse == (model.report_.val_mse,)


def test_intervals_add_the_noise_variance_and_widen_with_the_level(ensemble):
    model, x, _ = ensemble
    mean, std = model.predict(x, return_std=True)
    lower, upper = model.predict_interval(x, 0.9)
    noise = model._fitted().noise_variance * model._fitted().y_std ** 2
    np.testing.assert_allclose((upper - lower) / 2, 1.6448536 * np.sqrt(std**2 + noise), rtol=1e-6)
    np.testing.assert_allclose((upper + lower) / 2, mean, rtol=1e-12)
    assert noise == pytest.approx(model.report_.val_mse)
    wider = model.predict_interval(x, 0.99)
    assert (wider[1] - wider[0] > upper - lower).all()


def test_an_interval_around_a_prediction_is_the_predicted_interval(ensemble):
    model, x, _ = ensemble
    around = model.interval_around(*model.predict(x, return_std=True), 0.8)
    for mine, theirs in zip(around, model.predict_interval(x, 0.8), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize(
    ("level", "error", "message"),
    [(0, ValueError, "level must be between 0 and 1, got 0"), (1.5, ValueError, "got 1.5"),
     # below 1, but 0.5 + level / 2 rounds to 1: the quantile would be infinite
     (0.9999999999999999, ValueError,
      "level must be far enough below 1 for a finite interval, got 0.9999999999999999"),
     ("high", TypeError, "level must be a number, got 'high'")],
)  # fmt: skip
def test_interval_levels_outside_zero_to_one_are_refused(ensemble, level, error, message):
    model, x, _ = ensemble
    with pytest.raises(error, match=message):
        model.predict_interval(x, level)
    with pytest.raises(error, match=message):
        model.interval_around(*model.predict(x, return_std=True), level)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [(0, ValueError, "ensemble must be at least 1, got 0"),
     (2.5, TypeError, "ensemble must be an int, got 2.5"),
     (True, TypeError, "ensemble must be an int, got True"),
     (5000, ValueError, "ensemble must be at most 1024, got 5000")],
)  # fmt: skip
def test_bad_ensemble_sizes_are_refused(value, error, message):
    with pytest.raises(error, match=message):
        core.Regressor(ensemble=value)


def test_seeds_of_every_network_must_be_below_2_to_the_32():
    core.Regressor(seed=2**32 - 8, ensemble=8)  # seeds up to 2**32 - 1
    message = r"seed \+ 7: with ensemble 8, seed must be below 4294967289, got 4294967289"
    with pytest.raises(ValueError, match=message):
        core.Regressor(seed=2**32 - 7, ensemble=8)


def test_linear_must_be_a_bool():
    with pytest.raises(TypeError, match="linear must be True or False, got 'yes'"):
        core.Regressor(linear="yes")


def test_an_ensemble_file_reads_back_with_every_member(ensemble, tmp_path):
    model, x, _ = ensemble
    model.save(tmp_path / "ensemble.npz")
    with zipfile.ZipFile(tmp_path / "ensemble.npz") as archive:
        names = set(archive.namelist())
    assert {"W0.npy", "m1_W0.npy", "m2_W3.npy", "linear_weights.npy"} <= names
    loaded = core.load_model(tmp_path / "ensemble.npz")
    assert (loaded.ensemble, loaded.linear) == (3, True)
    for mine, theirs in zip(
        loaded.predict(x, return_std=True), model.predict(x, return_std=True), strict=True
    ):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip(loaded.predict_interval(x), model.predict_interval(x), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_a_model_without_the_plane_reads_back_without_it(tmp_path):
    x, y = curve_data()
    model = core.Regressor(ensemble=2, linear=False, **FAST).fit(x, y)
    model.save(tmp_path / "no-plane.npz")
    with np.load(tmp_path / "no-plane.npz") as archive:
        assert int(archive["linear"]) == 0
        assert not {"linear_weights", "linear_bias"} & set(archive.files)
    loaded = core.load_model(tmp_path / "no-plane.npz")
    assert (loaded.ensemble, loaded.linear) == (2, False)
    assert loaded._fitted().linear_weights is None
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("linear", [True, False])
def test_a_format_version_2_file_still_loads_as_a_model_with_a_plane(linear, tmp_path):
    """Version 2 had no `linear` flag and stored a zero plane for a model without one."""
    x, y = curve_data()
    model = core.Regressor(ensemble=2, linear=linear, **FAST).fit(x, y)
    model.save(tmp_path / "new.npz")
    with np.load(tmp_path / "new.npz") as archive:
        arrays = {key: archive[key] for key in archive.files if key != "linear"}
    plane = {"linear_weights": np.zeros(x.shape[1]), "linear_bias": np.float64(0)}
    np.savez(tmp_path / "old.npz", **{**plane, **arrays, "format_version": np.int64(2)})
    old = core.load_model(tmp_path / "old.npz")
    assert (old.ensemble, old.linear) == (2, True)
    for mine, theirs in zip(
        old.predict(x, return_std=True), model.predict(x, return_std=True), strict=True
    ):
        np.testing.assert_array_equal(mine, theirs)


def test_a_single_network_file_of_format_version_1_still_loads(tmp_path):
    """Written as release 0.1 wrote them: one network, no linear part, no noise estimate."""
    x, y = curve_data()
    model = core.Regressor(ensemble=1, linear=False, **FAST).fit(x, y)
    state = model._fitted()
    arrays = {
        "format": np.str_("nnreg-regressor"), "format_version": np.int64(1),
        "nnreg_version": np.str_("0.1.0"), "activation": np.str_("tanh"),
        "layer_sizes": np.asarray(state.layer_sizes, np.int64),
        "x_columns": np.asarray(state.x_columns, np.str_), "y_column": np.str_(state.y_column),
        "x_mean": state.x_mean, "x_std": state.x_std,
        "y_mean": np.float64(state.y_mean), "y_std": np.float64(state.y_std),
    }  # fmt: skip
    for i, layer in enumerate(state.members[0]):
        arrays[f"W{i}"], arrays[f"b{i}"] = layer["W"], layer["b"]
    np.savez(tmp_path / "old.npz", **arrays)
    old = core.load_model(tmp_path / "old.npz")
    assert (old.ensemble, old.linear) == (1, False)
    np.testing.assert_array_equal(old.predict(x), model.predict(x))
    no_noise = "has no noise estimate .it was fitted by a version of nnreg before prediction"
    with pytest.raises(ValueError, match=no_noise):
        old.predict_interval(x)
    with pytest.raises(ValueError, match=no_noise):
        old.interval_around(*old.predict(x, return_std=True))
    # Saved again, in today's format: still no noise estimate, and the message still true.
    old.save(tmp_path / "resaved.npz")
    with pytest.raises(ValueError, match=no_noise):
        core.load_model(tmp_path / "resaved.npz").predict_interval(x)


def test_damaged_ensemble_members_are_refused_by_name(ensemble, tmp_path):
    model, _, _ = ensemble
    model.save(tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    cases = [
        ({"members": np.int64(5000)}, "5000 members, not between 1 and 1024"),
        ({"members": np.int64(4)}, "'m3_W0'"),  # claims a member the file lacks
        ({"m2_b1": np.full((1, 10), np.inf, "f4")}, "'m2_b1' holds a value that is not a finite"),
        ({"linear_weights": np.ones(3)}, "'linear_weights' has shape \\(3,\\)"),
        ({"noise_variance": np.float64(-1)}, "noise variance must be finite and not negative"),
        ({"linear": np.int64(2)}, "'linear' must be 0 or 1, got 2"),
        ({"linear": np.float64(1)}, "'linear' holds float64 values, not integers"),
        ({"linear": None}, "'linear' is missing"),
        ({"linear": np.int64(0)}, "'linear' is 0 but the file holds a plane"),
        # Finite, but beyond anything a fit writes: predictions overflowed to inf.
        ({"y_std": np.float64(1e300)}, "y_std is beyond 1e\\+150 in magnitude: no fit gives it"),
        ({"y_mean": np.float64(-1.7e308)}, "y_mean is beyond 1e\\+150"),
        ({"x_mean": arrays["x_mean"] + 1e151}, "x_mean is beyond 1e\\+150"),
        ({"linear_bias": np.float64(1e200)}, "linear_bias is beyond 1e\\+150"),
        ({"noise_variance": np.float64(1e300)}, "noise_variance is beyond 1e\\+150"),
    ]
    for changes, message in cases:
        damaged = {key: value for key, value in {**arrays, **changes}.items() if value is not None}
        np.savez(tmp_path / "bad.npz", **damaged)
        with pytest.raises(ValueError, match=f"bad.npz is a damaged nnreg model file: .*{message}"):
            core.load_model(tmp_path / "bad.npz")


def test_the_linear_part_keeps_a_steep_linear_trend_as_least_squares_does():
    """Release 0.1's network alone was 13x worse than least squares on such data."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, (300, 2))
    y = 40 * x[:, 0] - 15 * x[:, 1] + 5 * rng.normal(size=300)
    train, test = slice(0, 225), slice(225, None)
    design = np.column_stack([x[train], np.ones(225)])
    coefficients = np.linalg.lstsq(design, y[train], rcond=None)[0]
    ols = np.mean((np.column_stack([x[test], np.ones(75)]) @ coefficients - y[test]) ** 2)
    fitted = core.Regressor().fit(x[train], y[train])
    linear_mse = np.mean((fitted.predict(x[test]) - y[test]) ** 2)
    alone = core.Regressor(linear=False).fit(x[train], y[train])
    alone_mse = np.mean((alone.predict(x[test]) - y[test]) ** 2)
    assert linear_mse < 1.05 * ols < alone_mse


def test_the_plane_shrinks_inputs_that_least_squares_fits_to_noise(tmp_path):
    """Many inputs for few rows: generalised cross-validation picks a penalty, and the plane
    keeps the one real input while least squares spreads weight over the noise inputs."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 20))
    y = 3 * x[:, 0] + 2 * rng.normal(size=60)
    fitted = core.Regressor(ensemble=1).fit(x, y)
    fitted.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as saved:
        # The plane in the data's units: standardised weights times y_std / x_std.
        plane = saved["linear_weights"] * saved["y_std"] / saved["x_std"]
    train = np.setdiff1d(np.arange(60), fitted.report_.val_rows)  # the rows the plane sees
    inputs = np.column_stack([x[train], np.ones(len(train))])
    least_squares = np.linalg.lstsq(inputs, y[train], rcond=None)[0][:-1]
    assert abs(plane[0] - 3) < 0.5
    assert np.abs(plane[1:]).sum() < 0.9 * np.abs(least_squares[1:]).sum()


def test_networks_added_to_the_plane_start_as_the_plane(tmp_path):
    """Their output layer starts at zero: networks that learn nothing predict the plane."""
    x, y = curve_data()
    fitted = core.Regressor(ensemble=2, learning_rate=1e-30, patience=5, epochs=20).fit(x, y)
    assert fitted.report_.at_plane == 2
    assert fitted.report_.stop_reason.endswith(
        "2 of 2 networks never improved on the ridge plane, which is kept alone in their place"
    )
    one = core.Regressor(ensemble=1, learning_rate=1e-30, patience=5, epochs=20).fit(x, y)
    assert one.report_.stop_reason.endswith(
        "the network never improved on the ridge plane, which is kept alone in its place"
    )
    fitted.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as saved:
        standardised = (x - saved["x_mean"]) / saved["x_std"]
        plane = standardised @ saved["linear_weights"] + saved["linear_bias"]
        plane = plane * saved["y_std"] + saved["y_mean"]
    mean, std = fitted.predict(x, return_std=True)
    np.testing.assert_array_equal(std, 0.0)
    np.testing.assert_allclose(mean, plane, rtol=1e-6)


def test_the_validation_rows_do_not_shape_the_plane(tmp_path):
    """The validation MSE must be an out-of-sample error: early stopping and the interval's
    noise estimate rely on it. Fitted to the validation rows too, the plane made it in-sample
    (12 inputs, 40 rows: 0.68 where new rows gave 1.47), so intervals came out too narrow."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 12))
    y = x @ rng.normal(size=12) + rng.normal(size=40)
    val_rows = core.Regressor(ensemble=1, epochs=3, patience=None).fit(x, y).report_.val_rows
    planes = []
    for shift in (0.0, 50.0):
        moved = y.copy()
        moved[val_rows] += shift  # only the validation rows' targets
        fitted = core.Regressor(ensemble=1, epochs=3, patience=None).fit(x, moved)
        fitted.save(tmp_path / "model.npz")
        with np.load(tmp_path / "model.npz") as saved:
            planes.append(saved["linear_weights"] * saved["y_std"] / saved["x_std"])
    np.testing.assert_allclose(planes[1], planes[0], rtol=1e-10, atol=1e-12)


def test_auto_weight_decay_leaves_the_default_only_on_clear_evidence():
    from nnreg.core import _weight_decay_choice as choice

    rng = np.random.default_rng(0)
    base = rng.exponential(size=(1, 400))
    slightly = base * rng.uniform(0.5, 1.48, size=(1, 400))  # 1% better on average, noisily
    clearly = base * 0.5
    assert choice.choose(np.vstack([base, slightly, base])) == 0
    assert choice.choose(np.vstack([base, clearly, clearly * 0.9])) == 2  # the least mean
    assert choice.choose(np.vstack([base, base * 1.5, clearly])) == 2
    assert choice.choose(np.vstack([base[:, :1], clearly[:, :1]])) == 0  # one row: no evidence


def test_auto_weight_decay_frees_a_strongly_curved_fit_and_keeps_the_default_on_noise():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, (300, 1))
    curve = np.sqrt(x[:, 0]) + np.sin(x[:, 0]) + 0.2 * rng.normal(size=300)
    auto = core.Regressor(ensemble=2).fit(x, curve)
    fixed = core.Regressor(ensemble=2, weight_decay=0.03).fit(x, curve)
    decays = [decay for decay, _ in auto.report_.weight_decay_val_mse]
    assert decays == [0.03, 0.003, 0.0] and auto.report_.weight_decay < 0.03
    assert auto.report_.val_mse < 0.5 * fixed.report_.val_mse
    assert dict(auto.report_.weight_decay_val_mse)[0.03] == pytest.approx(
        fixed.report_.val_mse, rel=0.05
    )  # the same seeds: the 0.03 candidate is the fixed fit, batched with the others
    noise = core.Regressor(ensemble=2).fit(x, rng.normal(size=300))
    assert noise.report_.weight_decay == 0.03
    assert fixed.report_.weight_decay_val_mse == ()


def test_the_kept_networks_own_early_stop_is_reported_when_the_run_went_on():
    """On Engel's data "auto" keeps 0.03, whose networks stop improving within tens of epochs
    while the undecayed ones go on: the report says the kept ones stopped early."""
    engel = core.read_csv_columns(EXAMPLES / "engel.csv", ["income", "foodexp"])
    report = core.Regressor(ensemble=2, epochs=1500).fit(engel[:, :1], engel[:, 1]).report_
    assert report.weight_decay == 0.03 and report.ran_on and report.stopped_early
    assert report.best_epoch + report.patience + 1 < report.epochs_run
    assert report.stop_reason.startswith("early stopping: the validation MSE had not improved")
    assert report.stop_reason.endswith("; the run went on for the other weight decays' networks")


def test_a_weight_decay_whose_networks_failed_is_no_candidate(monkeypatch):
    from nnreg.core import _member_training

    original = _member_training._group

    def failing_without_decay(result, indices, *args):
        if list(indices)[0] >= 4:  # the third decay's two networks: 0
            raise core.TrainingError("nothing was learned")
        return original(result, indices, *args)

    monkeypatch.setattr(_member_training, "_group", failing_without_decay)
    x, y = curve_data()
    report = core.Regressor(ensemble=2, epochs=80).fit(x, y).report_
    assert [decay for decay, _ in report.weight_decay_val_mse] == [0.03, 0.003]
