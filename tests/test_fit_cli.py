"""`nnreg fit` and `nnreg predict` end to end, through the installed console script."""

import csv
import inspect
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import nnreg.core as core

NNREG = Path(sys.executable).with_name("nnreg")


def nnreg(*args, cache_dir):
    environment = {**os.environ, "NNREG_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [str(NNREG), *map(str, args)], capture_output=True, text=True, env=environment, timeout=300
    )


def write_csv(path, columns):
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    path.write_text("\n".join([",".join(names), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    rng = np.random.default_rng(7)
    x1, x2 = rng.uniform(0, 5, 60), rng.uniform(-1, 1, 60)
    y = 100 + 20 * (np.sqrt(x1) + np.sin(x1)) + 5 * x2 + rng.normal(size=60)
    ids = [f"row{i}" for i in range(60)]  # a text column the fit never reads
    write_csv(folder / "curve.csv", {"id": ids, "x1": x1, "x2": x2, "y": y})
    write_csv(folder / "noise.csv", {"x": x1[:30], "y": rng.normal(size=30)})
    return folder


@pytest.fixture(scope="module")
def one_input(work):
    run = nnreg(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "one.npz",
        "--epochs", 80, "--patience", 0, "--json", work / "one.json", "--plot", work / "one.png",
        cache_dir=work / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run


def test_fit_prints_errors_in_the_data_units_and_why_it_stopped(one_input, work):
    out = one_input.stdout
    assert "fit y from x1: 60 rows (48 training, 12 validation)" in out
    assert "epochs run: 80 (reached the limit of 80 epochs)" in out
    report = json.loads((work / "one.json").read_text())
    assert f"train MSE       {report['train_mse']:.6g}" in out
    assert f"validation MSE  {report['val_mse']:.6g}" in out
    assert report["config"]["patience"] is None and report["epochs_run"] == 80
    assert report["rows"] == {"train": 48, "validation": 12}
    assert len(report["train_loss"]) == len(report["val_loss"]) == 80
    assert report["kernel"] == "jnp" and report["stopped_early"] is False
    # Units: the target's variance is ~400, so a working fit's MSE is far below it.
    assert 0 < report["train_mse"] < 400


def test_predict_round_trip_matches_the_python_api(one_input, work):
    run = nnreg("predict", work / "one.npz", work / "curve.csv", cache_dir=work / "cache")
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["x1", "y_pred"]
    written = np.array(rows[1:], float)
    x = core.read_csv_columns(work / "curve.csv", ["x1"])
    np.testing.assert_array_equal(written[:, 0], x[:, 0])
    model = core.load_model(work / "one.npz")
    np.testing.assert_allclose(written[:, 1], model.predict(x), rtol=1e-6)
    assert 100 < written[:, 1].mean() < 160  # in the target's units, not standardised
    with np.load(work / "one.npz", allow_pickle=False) as archive:
        assert str(archive["y_column"]) == "y" and archive["x_columns"].tolist() == ["x1"]


@pytest.fixture(scope="module")
def two_inputs(work):
    run = nnreg(
        "fit", work / "curve.csv", "--x", "x1,x2", "--y", "y", "--out", work / "two.npz",
        "--epochs", 40, "--hidden", "8,8", "--optimizer", "sgd", "--plot", work / "two.png",
        "--quiet", cache_dir=work / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run


def test_several_inputs_predict_to_a_file(two_inputs, work):
    assert "network 2-8-8-1 tanh, sgd, learning rate 0.1" in two_inputs.stdout
    predicted = nnreg(
        "predict", work / "two.npz", work / "curve.csv", "--out", work / "pred.csv",
        cache_dir=work / "cache",
    )  # fmt: skip
    assert predicted.returncode == 0 and predicted.stdout == ""
    lines = (work / "pred.csv").read_text().splitlines()
    assert lines[0] == "x1,x2,y_pred" and len(lines) == 61


def test_plots_are_pngs_for_one_and_several_inputs(one_input, two_inputs, work):
    for name in ("one.png", "two.png"):
        image = matplotlib.image.imread(work / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert not list(work.glob(".*.tmp"))


def test_patience_stops_early_and_says_so(work):
    run = nnreg(
        "fit", work / "noise.csv", "--x", "x", "--y", "y", "--out", work / "noise.npz",
        "--patience", 10, "--lr", 0.1, "--weight-decay", 0, "--epochs", 2000, "--json", "-",
        cache_dir=work / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)  # --json - leaves stdout to the JSON alone
    assert report["stopped_early"] is True and report["epochs_run"] < 2000
    # Patience is checked between chunks of at least 50 epochs, so it may overshoot by 50.
    assert 10 < report["epochs_run"] - report["best_epoch"] <= 10 + 50
    assert f"epochs run: {report['epochs_run']} (early stopping" in run.stderr
    assert "had not improved for 10 epochs" in run.stderr


def test_a_diverging_fit_leaves_the_old_model_untouched(one_input, work):
    good = (work / "one.npz").read_bytes()
    run = nnreg(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "one.npz",
        "--optimizer", "sgd", "--lr", 1e4, "--patience", 0, "--epochs", 50,
        "--plot", work / "diverged.png", cache_dir=work / "cache",
    )  # fmt: skip
    assert run.returncode == 2
    assert "diverged at epoch" in run.stderr and "Traceback" not in run.stderr
    assert (work / "one.npz").read_bytes() == good
    assert not (work / "diverged.png").exists() and not list(work.glob(".*.tmp"))


def test_fused_matches_the_plain_fit(one_input, work):
    run = nnreg(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "fused.npz",
        "--epochs", 80, "--patience", 0, "--fused", "--json", "-", cache_dir=work / "cache",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    fused = json.loads(run.stdout)
    plain = json.loads((work / "one.json").read_text())
    assert fused["config"]["fused"] is True and fused["kernel"] in ("cpu", "cuda")
    assert fused["val_mse"] == pytest.approx(plain["val_mse"], rel=1e-3)


def test_help_states_the_defaults_without_importing_jax():
    code = (
        "import sys\n"
        "from nnreg.cli import main\n"
        "for argv in (['fit', '--help'], ['predict', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('HEAVY', sorted(m for m in ('jax', 'matplotlib') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in run.stdout
    for words in ("--patience N", "(default: 200)", "(default: 5000)", "adam 0.01", "PRED.csv"):
        assert words in " ".join(run.stdout.split())


def test_the_help_defaults_are_the_regressors():
    from nnreg.cli import _cmd_fit

    defaults = {name: p.default for name, p in inspect.signature(core.Regressor).parameters.items()}
    assert defaults["hidden"] == _cmd_fit.DEFAULT_HIDDEN
    assert defaults["weight_decay"] == _cmd_fit.DEFAULT_WEIGHT_DECAY
    assert defaults["epochs"] == _cmd_fit.DEFAULT_EPOCHS
    assert defaults["val_fraction"] == _cmd_fit.DEFAULT_VAL_FRACTION
    assert defaults["patience"] == _cmd_fit.DEFAULT_PATIENCE
    for optimizer, rate in _cmd_fit.DEFAULT_LEARNING_RATES.items():
        assert core.Regressor(optimizer=optimizer).learning_rate == rate
