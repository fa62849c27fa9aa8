"""`nnreg fit` and `nnreg predict` end to end, in-process through the `cli` fixture."""

import csv
import io
import json

import matplotlib.image
import numpy as np
import pytest

import nnreg.core as core


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
def one_input(work, cli):
    run = cli(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "one.npz",
        "--epochs", 80, "--patience", 0, "--json", work / "one.json", "--plot", work / "one.png",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
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


def test_fit_progress_says_its_loss_is_standardised(one_input):
    lines = one_input.stderr.splitlines()
    assert lines[0] == "fit y from x1, compiling included: started"
    assert "fit y from x1, compiling included: 80/80 epochs, train MSE (standardised) " in (
        one_input.stderr
    )
    assert lines[-1].startswith("fit y from x1, compiling included: done in ")


def test_predict_round_trip_matches_the_python_api(one_input, work, cli):
    run = cli("predict", work / "one.npz", work / "curve.csv")
    assert run.exit_code == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["x1", "y_pred", "y_std"]  # the default ensemble's mean and spread
    written = np.array(rows[1:], float)
    x = core.read_csv_columns(work / "curve.csv", ["x1"])
    np.testing.assert_array_equal(written[:, 0], x[:, 0])
    model = core.load_model(work / "one.npz")
    mean, std = model.predict(x, return_std=True)
    np.testing.assert_allclose(written[:, 1], mean, rtol=1e-6)
    np.testing.assert_allclose(written[:, 2], std, rtol=1e-6)
    assert (std > 0).all()
    assert 100 < written[:, 1].mean() < 160  # in the target's units, not standardised
    with np.load(work / "one.npz", allow_pickle=False) as archive:
        assert str(archive["y_column"]) == "y" and archive["x_columns"].tolist() == ["x1"]


@pytest.fixture(scope="module")
def two_inputs(work, cli):
    run = cli(
        "fit", work / "curve.csv", "--x", "x1,x2", "--y", "y", "--out", work / "two.npz",
        "--epochs", 40, "--hidden", "8,8", "--optimizer", "sgd", "--plot", work / "two.png",
        "--quiet",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    return run


def test_several_inputs_predict_to_a_file(two_inputs, work, cli):
    assert two_inputs.stderr == ""  # --quiet
    assert "network 2-8-8-1 tanh, sgd, learning rate 0.1" in two_inputs.stdout
    predicted = cli(
        "predict", work / "two.npz", work / "curve.csv", "--out", work / "pred.csv",
    )  # fmt: skip
    assert predicted.exit_code == 0 and predicted.stdout == ""
    lines = (work / "pred.csv").read_text().splitlines()
    assert lines[0] == "x1,x2,y_pred,y_std" and len(lines) == 61


def test_plots_are_pngs_for_one_and_several_inputs(one_input, two_inputs, work):
    for name in ("one.png", "two.png"):
        image = matplotlib.image.imread(work / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert not list(work.glob(".*.tmp"))


@pytest.mark.parametrize(("name", "magic"), [("fit.pdf", b"%PDF"), ("fit.SVG", b"<?xml")])
def test_a_plot_named_pdf_or_svg_is_one(work, cli, name, magic):
    run = cli(
        "fit", work / "noise.csv", "--x", "x", "--y", "y", "--out", work / "plotted.npz",
        "--epochs", 20, "--plot", work / name, "--quiet",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert (work / name).read_bytes().startswith(magic)


def test_a_plot_named_for_another_format_is_refused_before_training(work, cli):
    run = cli(
        "fit", work / "noise.csv", "--x", "x", "--y", "y", "--out", work / "unplotted.npz",
        "--plot", work / "fit.jpg",
    )  # fmt: skip
    assert run.exit_code == 2
    message = f"--plot {work / 'fit.jpg'}: the plot is written as PNG, PDF or SVG; name it .png"
    assert message in run.stderr and "fit y from" not in run.stderr  # no training begun
    assert not (work / "unplotted.npz").exists() and not (work / "fit.jpg").exists()


def test_patience_stops_early_and_says_so(work, cli):
    run = cli(
        "fit", work / "noise.csv", "--x", "x", "--y", "y", "--out", work / "noise.npz",
        "--patience", 10, "--lr", 0.1, "--weight-decay", 0, "--epochs", 2000, "--json", "-",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)  # --json - leaves stdout to the JSON alone
    assert report["stopped_early"] is True and report["epochs_run"] < 2000
    # Patience is checked between chunks of at least 50 epochs, so it may overshoot by 50.
    assert 10 < report["epochs_run"] - report["best_epoch"] <= 10 + 50
    assert f"epochs run: {report['epochs_run']} (early stopping" in run.stderr
    assert "had not improved for 10 epochs" in run.stderr


def test_a_diverging_fit_exits_1_and_leaves_the_old_model_untouched(
    one_input, work, cli, monkeypatch
):
    from nnreg.cli import _progress

    monkeypatch.setattr(_progress, "ANNOUNCE_AFTER", 0)  # the stage shows however fast it fails
    good = (work / "one.npz").read_bytes()
    run = cli(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "one.npz",
        "--optimizer", "sgd", "--lr", 1e4, "--patience", 0, "--epochs", 50,
        "--plot", work / "diverged.png",
    )  # fmt: skip
    assert run.exit_code == 1
    *progress, error = run.stderr.splitlines()
    assert progress[-1] == "fit y from x1, compiling included: failed"
    # Every weight decay's networks diverged ("auto" trains three): the first's is reported.
    assert error.startswith(
        "nnreg fit: error: weight decay 0.03: ensemble member 0: training diverged at epoch "
    )
    assert error.endswith("(and so at 0.003, 0)")
    assert (work / "one.npz").read_bytes() == good
    assert not (work / "diverged.png").exists() and not list(work.glob(".*.tmp"))


def test_fused_matches_the_plain_fit(one_input, work, cli):
    run = cli(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "fused.npz",
        "--epochs", 80, "--patience", 0, "--fused", "--json", "-",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    fused = json.loads(run.stdout)
    plain = json.loads((work / "one.json").read_text())
    assert fused["config"]["fused"] is True and fused["kernel"] in ("cpu", "cuda")
    assert fused["fusion"] == "network" and plain["fusion"] is None
    assert fused["val_mse"] == pytest.approx(plain["val_mse"], rel=1e-3)
    assert "fusion network, kernel " in run.stderr  # the summary, moved off stdout


def test_fused_network_wider_than_the_kernel_fuses_each_layer(one_input, work, cli):
    import nnreg.kernels

    run = cli(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "wide.npz",
        "--hidden", nnreg.kernels.MAX_WIDTH + 1, "--epochs", 20, "--patience", 0, "--fused",
        "--json", "-",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["fusion"] == "layer" and report["kernel"] in ("cpu", "cuda")


def test_fused_network_deeper_than_the_kernel_trains_through_dense_tanh(work, cli, monkeypatch):
    import nnreg.kernels

    calls = {"dense_tanh": 0, "mlp_tanh": 0}

    def counted(name):
        kernel = getattr(nnreg.kernels, name)

        def call(*args):
            calls[name] += 1
            return kernel(*args)

        return call

    for name in calls:
        monkeypatch.setattr(nnreg.kernels, name, counted(name))
    hidden = ",".join(["4"] * nnreg.kernels.MAX_LAYERS)  # one weight layer too many
    run = cli(
        "fit", work / "curve.csv", "--x", "x1", "--y", "y", "--out", work / "deep.npz",
        "--hidden", hidden, "--epochs", 20, "--patience", 0, "--fused", "--json", "-",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["fusion"] == "layer"
    assert calls["dense_tanh"] > 0 and calls["mlp_tanh"] == 0


def test_help_states_core_defaults(cli):
    run = cli("fit", "--help")
    assert run.exit_code == 0
    text = " ".join(run.stdout.split())
    defaults = core.REGRESSOR_DEFAULTS
    for words in (
        "--patience N stop once",
        f"(default: {defaults.patience})",
        f"most epochs to train (default: {defaults.epochs})",
        f"(default: {','.join(map(str, defaults.hidden))})",
        f"(default: {defaults.weight_decay})",
        f"adam {defaults.learning_rates['adam']}",
        f"{{{','.join(defaults.optimizers)}}}",
    ):
        assert words in text
    assert "PRED.csv" in " ".join(cli("predict", "--help").stdout.split())
