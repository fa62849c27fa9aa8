"""`nnreg compare`, mostly in-process through the `cli` fixture; one run of the real script."""

import json

import matplotlib.image
import pytest

METHOD_NAMES = ["keras", "jax-gd", "optax-sgd", "optax-adam"]
RESULT_KEYS = {
    "method", "optimizer", "learning_rate", "fused", "kernel", "train_mse", "val_mse",
    "seconds_first", "seconds_steady", "diverged", "diverged_epoch", "error", "train_loss",
    "val_loss",
}  # fmt: skip


@pytest.fixture(scope="module")
def all_methods(tmp_path_factory, cli):
    out = tmp_path_factory.mktemp("compare") / "results"
    return cli("compare", "--epochs", 60, "--json", "-", "--out", out), out


def test_json_schema_and_values(all_methods):
    run, _ = all_methods
    assert run.exit_code == 0, run.stderr
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
        assert r["error"] is None and r["diverged"] is False and r["diverged_epoch"] is None
        assert len(r["train_loss"]) == len(r["val_loss"]) == 60
        assert 0 < r["val_mse"] < r["val_loss"][0]
        assert 0 < r["train_mse"] < r["train_loss"][0]
        assert r["seconds_first"] > 0 and r["seconds_steady"] > 0
        assert r["fused"] is False
    assert [r["kernel"] for r in results] == [None, "jnp", "jnp", "jnp"]
    assert [(r["optimizer"], r["learning_rate"]) for r in results] == [
        ("sgd", 0.01), ("gd", 0.001), ("sgd", 0.001), ("adam", 0.001)
    ]  # fmt: skip
    by_name = {r["method"]: r for r in results}
    # The lecture's hand-written gradient descent and Optax SGD are the same algorithm.
    assert by_name["jax-gd"]["val_mse"] == pytest.approx(by_name["optax-sgd"]["val_mse"], rel=1e-5)
    assert "keras" in run.stderr and "optax-adam" in run.stderr  # the table, moved off stdout


def test_png_plots_and_results_are_written(all_methods):
    _, out = all_methods
    for name in ("validation_loss.png", "fits.png"):
        image = matplotlib.image.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    saved = json.loads((out / "results.json").read_text())
    assert [r["method"] for r in saved["results"]] == METHOD_NAMES
    assert not list(out.glob(".*.tmp"))


def test_fused_reports_the_cpu_kernel_and_matches_jnp(tmp_path, cli):
    common = ["compare", "--methods", "jax-gd,optax-adam", "--epochs", 40, "--no-plots"]
    fused = cli(*common, "--fused", "--json", "-", "--out", tmp_path)
    plain = cli(*common, "--json", "-", "--out", tmp_path)
    assert fused.exit_code == 0 and plain.exit_code == 0, fused.stderr + plain.stderr
    fused_results = json.loads(fused.stdout)["results"]
    plain_results = json.loads(plain.stdout)["results"]
    for f, p in zip(fused_results, plain_results, strict=True):
        assert f["fused"] is True and f["kernel"] == "cpu"
        assert f["val_mse"] == pytest.approx(p["val_mse"], rel=1e-4)
    assert not (tmp_path / "fits.png").exists()


@pytest.mark.slow
def test_lecture_reproduces_the_lecture_figures(tmp_path, cli):
    run = cli(
        "compare", "--lecture", "--methods", "jax-gd,optax-sgd,optax-adam", "--no-plots",
        "--json", tmp_path / "r.json", "--out", tmp_path, "--quiet",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["config"]["val_seed"] == document["config"]["seed"] == 1234
    val_mse = {r["method"]: r["val_mse"] for r in document["results"]}
    assert val_mse["jax-gd"] == pytest.approx(0.05290, abs=2e-4)
    assert val_mse["optax-sgd"] == pytest.approx(0.05290, abs=2e-4)
    assert val_mse["optax-adam"] == pytest.approx(0.03739, abs=2e-4)
    assert "0.05290" in run.stdout and "0.03739" in run.stdout


def test_every_method_diverging_exits_1_and_says_so(tmp_path, cli):
    run = cli(
        "compare", "--methods", "jax-gd,optax-sgd", "--lr", 50, "--epochs", 200,
        "--json", "-", "--out", tmp_path,
    )  # fmt: skip
    assert run.exit_code == 1
    assert "nnreg compare: error: no method trained without diverging" in run.stderr
    results = json.loads(run.stdout)["results"]
    for r in results:
        assert r["diverged"] is True
        assert 0 <= r["diverged_epoch"] < 200
    assert "diverged at epoch" in run.stderr


def test_one_good_method_keeps_exit_code_zero(tmp_path, cli):
    run = cli(
        "compare", "--methods", "jax-gd,optax-adam", "--lr", 50, "--epochs", 200,
        "--no-plots", "--out", tmp_path,
    )  # fmt: skip
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    assert [r["diverged"] for r in results] == [True, False]
    assert run.exit_code == 0 and "error" not in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
        (["--epochs", "ten"], "argument --epochs: invalid positive_int value: 'ten'"),
        (["--methods", "keras,torch"], "argument --methods: unknown method(s) torch; choose"),
        (["--lr", "-0.1"], "argument --lr: must be a positive number, got -0.1"),
        (["--lr", "nan"], "argument --lr: must be a positive number, got nan"),
        (["--lecture", "--val-seed", "5"], "--lecture draws validation data with --seed"),
        (["--seed", "-1"], "argument --seed: must be between 0 and 4294967295, got -1"),
        (["--val-seed", "99999999999"], "argument --val-seed: must be between 0 and"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_bad_flags_give_compares_usage_and_exit_code_2(args, message, cli, tmp_path):
    run = cli("compare", *args, "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert run.stderr.startswith("usage: nnreg compare")
    assert f"nnreg compare: error: {message}" in run.stderr
    assert not (tmp_path / "out").exists()


def test_out_below_a_file_is_one_clear_message(tmp_path, cli):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = cli("compare", "--out", blocker / "sub")
    assert run.exit_code == 2
    assert run.stderr == f"nnreg compare: error: cannot write to --out {blocker / 'sub'}: " + (
        f"{blocker} is not a folder\n"
    )


def test_json_into_a_missing_folder_fails_before_training(tmp_path, cli):
    run = cli("compare", "--json", tmp_path / "missing" / "r.json", "--out", tmp_path / "out")
    assert run.exit_code == 2
    assert "cannot write --json" in run.stderr and "does not exist" in run.stderr
    assert not (tmp_path / "out").exists()


def test_the_console_script_end_to_end_fills_and_skips_the_cache(tmp_path, console_script):
    args = ["compare", "--methods", "optax-sgd", "--epochs", 10, "--no-plots"]
    on, off, env_off = tmp_path / "on", tmp_path / "off", tmp_path / "env-off"
    run = console_script(*args, "--out", tmp_path / "r", env={"NNREG_CACHE_DIR": str(on)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].startswith("method ")
    assert f"results in {tmp_path / 'r'}/" in run.stdout
    assert any(p.is_file() for p in on.rglob("*"))
    off_run = console_script(
        *args, "--no-cache", "--out", tmp_path, env={"NNREG_CACHE_DIR": str(off)}
    )
    assert off_run.returncode == 0, off_run.stderr
    env = {"NNREG_CACHE_DIR": str(env_off), "NNREG_NO_CACHE": "1"}
    assert console_script(*args, "--out", tmp_path, env=env).returncode == 0
    assert not off.exists() and not env_off.exists()
