"""`nnreg compare` end to end, through the installed console script."""

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest

NNREG = Path(sys.executable).with_name("nnreg")
METHOD_NAMES = ["keras", "jax-gd", "optax-sgd", "optax-adam"]
RESULT_KEYS = {
    "method", "fused", "kernel", "train_mse", "val_mse", "seconds_first", "seconds_steady",
    "diverged", "diverged_epoch", "error", "train_loss", "val_loss",
}  # fmt: skip


def nnreg(*args, cache_dir, env=None):
    environment = {**os.environ, "NNREG_CACHE_DIR": str(cache_dir), **(env or {})}
    return subprocess.run(
        [str(NNREG), *args], capture_output=True, text=True, env=environment, timeout=600
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jax-cache")


@pytest.fixture(scope="module")
def all_methods(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("out")
    run = nnreg("compare", "--epochs", "60", "--json", "-", "--out", str(out), cache_dir=cache_dir)
    return run, out


def test_json_schema_and_values(all_methods):
    run, _ = all_methods
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)  # --json - leaves stdout to the JSON alone
    assert document["config"]["epochs"] == 60
    assert document["config"]["seed"] == 1234
    assert document["config"]["val_seed"] != document["config"]["seed"]
    assert document["config"]["fused"] is False
    assert set(document["environment"]) >= {"jax", "backend", "device"}
    assert document["environment"]["backend"] == "cpu"
    results = document["results"]
    assert [r["method"] for r in results] == METHOD_NAMES
    for r in results:
        assert set(r) == RESULT_KEYS
        assert r["error"] is None and r["diverged"] is False
        assert len(r["train_loss"]) == len(r["val_loss"]) == 60
        assert 0 < r["val_mse"] < r["val_loss"][0]
        assert 0 < r["train_mse"] < r["train_loss"][0]
        assert r["seconds_first"] > 0 and r["seconds_steady"] > 0
        assert r["fused"] is False
    assert [r["kernel"] for r in results] == [None, "jnp", "jnp", "jnp"]
    by_name = {r["method"]: r for r in results}
    # The lecture's hand-written gradient descent and Optax SGD are the same algorithm.
    assert by_name["jax-gd"]["val_mse"] == pytest.approx(by_name["optax-sgd"]["val_mse"], rel=1e-5)
    assert "keras" in run.stderr and "optax-adam" in run.stderr  # the table, moved off stdout


def test_png_plots_are_written(all_methods):
    _, out = all_methods
    for name in ("validation_loss.png", "fits.png"):
        image = matplotlib.image.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    saved = json.loads((out / "results.json").read_text())
    assert [r["method"] for r in saved["results"]] == METHOD_NAMES
    assert not list(out.glob(".*.tmp"))


def test_fused_reports_the_cpu_kernel_and_matches_jnp(tmp_path, cache_dir):
    common = ["compare", "--methods", "jax-gd,optax-adam", "--epochs", "40", "--no-plots"]
    fused = nnreg(*common, "--fused", "--json", "-", "--out", str(tmp_path), cache_dir=cache_dir)
    plain = nnreg(*common, "--json", "-", "--out", str(tmp_path), cache_dir=cache_dir)
    assert fused.returncode == 0 and plain.returncode == 0, fused.stderr + plain.stderr
    fused_results = json.loads(fused.stdout)["results"]
    plain_results = json.loads(plain.stdout)["results"]
    for f, p in zip(fused_results, plain_results, strict=True):
        assert f["fused"] is True and f["kernel"] == "cpu"
        assert f["val_mse"] == pytest.approx(p["val_mse"], rel=1e-4)
    assert not (tmp_path / "fits.png").exists()


@pytest.mark.slow
def test_lecture_reproduces_the_lecture_figures(tmp_path, cache_dir):
    run = nnreg(
        "compare", "--lecture", "--methods", "jax-gd,optax-sgd,optax-adam", "--no-plots",
        "--json", str(tmp_path / "r.json"), "--out", str(tmp_path), "--quiet",
        cache_dir=cache_dir,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["config"]["val_seed"] == document["config"]["seed"] == 1234
    val_mse = {r["method"]: r["val_mse"] for r in document["results"]}
    assert val_mse["jax-gd"] == pytest.approx(0.05290, abs=2e-4)
    assert val_mse["optax-sgd"] == pytest.approx(0.05290, abs=2e-4)
    assert val_mse["optax-adam"] == pytest.approx(0.03739, abs=2e-4)
    assert "0.05290" in run.stdout and "0.03739" in run.stdout


def test_diverging_learning_rate_is_reported(tmp_path, cache_dir):
    run = nnreg(
        "compare", "--methods", "jax-gd,optax-sgd", "--lr", "50", "--epochs", "200",
        "--json", "-", "--out", str(tmp_path), cache_dir=cache_dir,
    )  # fmt: skip
    assert run.returncode == 1  # every method failed
    results = json.loads(run.stdout)["results"]
    for r in results:
        assert r["diverged"] is True
        assert 0 <= r["diverged_epoch"] < 200
    assert "diverged at epoch" in run.stderr


def test_one_good_method_keeps_exit_code_zero(tmp_path, cache_dir):
    run = nnreg(
        "compare", "--methods", "jax-gd,optax-adam", "--lr", "50", "--epochs", "200",
        "--no-plots", "--out", str(tmp_path), cache_dir=cache_dir,
    )  # fmt: skip
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert [r["diverged"] for r in results] == [True, False]
    assert run.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "--epochs", "0"], "--epochs"),
        (["compare", "--epochs", "ten"], "--epochs"),
        (["compare", "--methods", "keras,torch"], "torch"),
        (["compare", "--lr", "-0.1"], "--lr"),
        (["compare", "--lr", "nan"], "--lr"),
        (["compare", "--lecture", "--val-seed", "5"], "--lecture"),
        (["compare", "--seed", "-1"], "--seed"),
        (["compare", "--val-seed", "99999999999"], "--val-seed"),
        (["sweep", "--seed", "4294967295", "--seeds", "2"], "--seeds"),
        (["compare", "--no-such-flag"], "unrecognized"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_flags_give_usage_and_exit_code_2(args, message, cache_dir):
    run = nnreg(*args, cache_dir=cache_dir)
    assert run.returncode == 2
    assert "usage:" in run.stderr and message in run.stderr
    assert "Traceback" not in run.stderr


def test_unwritable_out_is_one_clear_message(tmp_path, cache_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = nnreg("compare", "--out", str(blocker / "sub"), cache_dir=cache_dir)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0
    assert "cannot write to --out" in run.stderr and "Traceback" not in run.stderr


def test_json_into_a_missing_folder_fails_before_training(tmp_path, cache_dir):
    run = nnreg(
        "compare", "--json", str(tmp_path / "missing" / "r.json"), "--out", str(tmp_path),
        cache_dir=cache_dir,
    )  # fmt: skip
    assert run.returncode == 2
    assert "does not exist" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "results.json").exists()


def test_help_does_not_import_jax_or_keras():
    code = (
        "import sys\n"
        "from nnreg.cli import main\n"
        "for argv in (['--help'], ['compare', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('jax', 'keras', 'matplotlib') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "--fused" in run.stdout and "--methods" in run.stdout
    assert "HEAVY []" in run.stdout


def test_compilation_cache_is_filled_and_can_be_turned_off(tmp_path):
    args = ["compare", "--methods", "optax-sgd", "--epochs", "10", "--no-plots"]
    on, off = tmp_path / "on", tmp_path / "off"
    assert nnreg(*args, "--out", str(tmp_path), cache_dir=on).returncode == 0
    assert any(p.is_file() for p in on.rglob("*"))
    assert nnreg(*args, "--no-cache", "--out", str(tmp_path), cache_dir=off).returncode == 0
    env_off = tmp_path / "env-off"
    disabled = nnreg(*args, "--out", str(tmp_path), cache_dir=env_off, env={"NNREG_NO_CACHE": "1"})
    assert disabled.returncode == 0
    assert not off.exists() and not env_off.exists()
