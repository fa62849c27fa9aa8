"""`nnreg fit --ensemble K` and `nnreg predict --interval`: the members in the report, the
spread and interval columns, and bad values answered with the flag's name."""

import csv
import io
import json

import numpy as np
import pytest

import nnreg.core as core


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit-ensemble")
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 5, 80)
    y = 3 * x + np.sin(2 * x) + 0.3 * rng.normal(size=80)
    rows = "".join(f"{a},{b}\n" for a, b in zip(x, y, strict=True))
    (folder / "data.csv").write_text("x,y\n" + rows)
    return folder


def fitted_ensemble(cli, work, name, ensemble, epochs):
    """``nnreg fit --ensemble ensemble`` on the data, into ``name``.npz and ``name``.json."""
    run = cli(
        "fit", work / "data.csv", "--x", "x", "--y", "y", "--out", work / f"{name}.npz",
        "--ensemble", ensemble, "--epochs", epochs, "--json", work / f"{name}.json", "--quiet",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def three(work, cli):
    return fitted_ensemble(cli, work, "three", 3, 150)


def test_the_report_names_the_model_and_each_networks_validation_mse(three, work):
    report = json.loads((work / "three.json").read_text())
    assert (report["config"]["ensemble"], report["config"]["linear"]) == (3, True)
    assert len(report["member_val_mse"]) == 3
    assert "model: the mean of 3 networks added to the ridge plane" in three.stdout
    each = ", ".join(f"{mse:.4g}" for mse in report["member_val_mse"])
    assert f"validation MSE of each network: {each}" in three.stdout


def test_a_large_ensembles_summary_gives_the_spread_of_its_validation_mses(work, cli):
    run = fitted_ensemble(cli, work, "many", 20, 20)
    each = json.loads((work / "many.json").read_text())["member_val_mse"]
    low, middle, high = np.percentile(each, [0, 50, 100])
    assert (
        f"validation MSE of the 20 networks: lowest {low:.4g}, median {middle:.4g}, "
        f"highest {high:.4g} (each in --json)"
    ) in run.stdout
    assert "of each network" not in run.stdout


def test_the_report_says_which_weight_decay_auto_chose_and_why(three, work):
    report = json.loads((work / "three.json").read_text())
    assert report["config"]["weight_decay"] == "auto"
    candidates = report["weight_decay_val_mse"]
    assert [decay for decay, _ in candidates] == [0.03, 0.003, 0.0]
    assert report["weight_decay"] in (0.03, 0.003, 0.0)
    each = ", ".join(f"{mse:.4g} at {decay:g}" for decay, mse in candidates)
    chosen = f"weight decay {report['weight_decay']:g} (auto; validation MSE {each})"
    assert chosen in three.stdout


def test_predict_writes_the_mean_the_spread_and_the_interval(three, work, cli):
    run = cli("predict", work / "three.npz", work / "data.csv", "--interval", 0.8)
    assert run.exit_code == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["x", "y_pred", "y_std", "y_lower", "y_upper"]
    written = np.array(rows[1:], float)
    model = core.load_model(work / "three.npz")
    x = written[:, :1]
    mean, std = model.predict(x, return_std=True)
    lower, upper = model.predict_interval(x, 0.8)
    np.testing.assert_allclose(written[:, 1:], np.column_stack([mean, std, lower, upper]))
    assert (written[:, 3] < written[:, 1]).all() and (written[:, 1] < written[:, 4]).all()


def test_predict_with_an_interval_runs_the_networks_once(three, work, cli, monkeypatch):
    runs = []
    original = core.Regressor._members_predict

    def counted(self, state, x):
        runs.append(len(x))
        return original(self, state, x)

    monkeypatch.setattr(core.Regressor, "_members_predict", counted)
    run = cli("predict", work / "three.npz", work / "data.csv", "--interval", 0.8)
    assert run.exit_code == 0, run.stderr
    assert runs == [80]


def test_one_network_without_the_plane_writes_no_spread(work, cli):
    run = cli(
        "fit", work / "data.csv", "--x", "x", "--y", "y", "--out", work / "one.npz",
        "--ensemble", 1, "--no-linear", "--epochs", 100, "--quiet",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "model: one network\n" in run.stdout
    predicted = cli("predict", work / "one.npz", work / "data.csv")
    assert predicted.stdout.splitlines()[0] == "x,y_pred"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--ensemble", "0", "must be a positive integer, got 0"),
     ("--ensemble", "-1", "must be a positive integer, got -1"),
     ("--ensemble", "many", "must be a positive integer, got 'many'"),
     ("--ensemble", "5000", "must be at most 1024, got 5000")],
)  # fmt: skip
def test_bad_ensemble_sizes_are_usage_errors(work, cli, flag, value, message):
    run = cli(
        "fit", work / "data.csv", "--x", "x", "--y", "y", "--out", work / "m.npz", flag, value
    )
    assert run.exit_code == 2
    assert f"argument {flag}: {message}" in run.stderr
    assert not (work / "m.npz").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "must be between 0 and 1 (exclusive), got 0"),
     ("1.5", "must be between 0 and 1 (exclusive), got 1.5"),
     ("1", "must be between 0 and 1 (exclusive), got 1"),
     ("wide", "invalid interval_level value: 'wide'"),
     ("0.9999999999999999", "must be far enough below 1 for a finite interval")],
)  # fmt: skip
def test_bad_interval_levels_are_usage_errors(three, work, cli, value, message):
    run = cli("predict", work / "three.npz", work / "data.csv", "--interval", value)
    assert run.exit_code == 2 and f"argument --interval: {message}" in run.stderr
    assert run.stdout == ""
