"""`nnreg compare`, mostly in-process through the `cli` fixture; a few runs of the real script."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.image
import pytest

import nnreg.core as core

METHOD_NAMES = ["keras", "jax-gd", "optax-sgd", "optax-adam"]
RESULT_KEYS = {
    "method", "optimizer", "learning_rate", "fused", "fusion", "kernel", "train_mse", "val_mse",
    "seconds_first", "seconds_steady", "diverged", "diverged_epoch", "error", "train_loss",
    "val_loss",
}  # fmt: skip


@pytest.fixture(scope="module")
def all_methods(tmp_path_factory, cli, figure_recorder):
    out = tmp_path_factory.mktemp("compare") / "results"
    with pytest.MonkeyPatch.context() as patch:
        figures = figure_recorder(patch)
        run = cli("compare", "--epochs", 60, "--json", "-", "--out", out)
    return run, out, figures


def test_json_schema_and_values(all_methods):
    run, _, _ = all_methods
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
        assert r["seconds_first"] > 0 and r["seconds_steady"] is None  # no --repeat
        assert r["fused"] is False and r["fusion"] is None
    assert [r["kernel"] for r in results] == [None, "jnp", "jnp", "jnp"]
    assert [(r["optimizer"], r["learning_rate"]) for r in results] == [
        ("sgd", 0.01), ("gd", 0.001), ("sgd", 0.001), ("adam", 0.001)
    ]  # fmt: skip
    by_name = {r["method"]: r for r in results}
    # The lecture's hand-written gradient descent and Optax SGD are the same algorithm.
    assert by_name["jax-gd"]["val_mse"] == pytest.approx(by_name["optax-sgd"]["val_mse"], rel=1e-5)
    assert "keras" in run.stderr and "optax-adam" in run.stderr  # the table, moved off stdout


def test_the_table_names_each_runs_update_rule_and_learning_rate(all_methods):
    run, _, _ = all_methods
    table = run.stderr[run.stderr.index("method ") :].splitlines()
    assert table[0].split() == [
        "method", "optimizer", "learning", "rate", "fusion", "kernel", "train", "MSE", "val",
        "MSE", "seconds", "epochs/s",
    ]  # fmt: skip
    assert [line.split()[:3] for line in table[2:6]] == [
        ["keras", "sgd", "0.01"], ["jax-gd", "gd", "0.001"], ["optax-sgd", "sgd", "0.001"],
        ["optax-adam", "adam", "0.001"],
    ]  # fmt: skip
    assert "seconds: one run per method, compiling included" in table[6]
    assert all(line == line.rstrip() for line in table)


def test_progress_off_a_terminal_is_plain_lines_per_method(all_methods):
    run, _, _ = all_methods
    lines = run.stderr.splitlines()
    for method in METHOD_NAMES:
        stage = f"{method}, first run (compiling included)"
        assert f"{stage}: started" in lines
        assert f"{stage}: 60/60 epochs" in "\n".join(lines)
        assert any(line.startswith(f"{stage}: done in ") for line in lines)
    assert lines.index("keras, first run (compiling included): started") < lines.index(
        "jax-gd, first run (compiling included): started"
    )
    assert "\r" not in run.stderr and "\033" not in run.stderr


def test_legends_name_update_rule_learning_rate_and_val_mse(all_methods):
    run, _, figures = all_methods
    results = json.loads(run.stdout)["results"]
    expected = [
        f"{r['method']} ({r['optimizer']}, lr {r['learning_rate']:g}): val MSE {r['val_mse']:.4f}"
        for r in results
    ]
    assert figures["validation_loss.png"]["legend"] == expected
    assert figures["fits.png"]["legend"] == ["training data", *expected]
    assert figures["fits.png"]["notes"] == [] and all(figures["fits.png"]["lines"].values())


def test_png_plots_and_results_are_written(all_methods):
    _, out, _ = all_methods
    for name in ("validation_loss.png", "fits.png"):
        image = matplotlib.image.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    saved = json.loads((out / "results.json").read_text())
    assert [r["method"] for r in saved["results"]] == METHOD_NAMES
    assert not list(out.glob(".*.tmp"))


def test_fused_trains_the_whole_network_through_mlp_tanh_and_matches_jnp(
    tmp_path, cli, monkeypatch
):
    import nnreg.kernels

    calls = []

    def counting_mlp_tanh(params, x):
        calls.append(len(params))
        return mlp_tanh(params, x)

    mlp_tanh = nnreg.kernels.mlp_tanh
    monkeypatch.setattr(nnreg.kernels, "mlp_tanh", counting_mlp_tanh)
    common = ["compare", "--methods", "jax-gd,optax-adam", "--epochs", 40, "--no-plots"]
    fused = cli(*common, "--fused", "--json", "-", "--out", tmp_path)
    assert calls and set(calls) == {4}  # traced with the lecture's four layers
    plain = cli(*common, "--json", "-", "--out", tmp_path)
    assert fused.exit_code == 0 and plain.exit_code == 0, fused.stderr + plain.stderr
    fused_results = json.loads(fused.stdout)["results"]
    plain_results = json.loads(plain.stdout)["results"]
    for f, p in zip(fused_results, plain_results, strict=True):
        assert f["fused"] is True and f["fusion"] == "network" and f["kernel"] in ("cpu", "cuda")
        assert f["val_mse"] == pytest.approx(p["val_mse"], rel=1e-4)
    assert " network " in fused.stderr  # the table's fusion column
    assert not (tmp_path / "fits.png").exists()


@pytest.mark.parametrize("fused", [False, True])
def test_only_fused_methods_update_one_flat_vector(tmp_path, cli, calls_to, fused):
    import optax

    flattened = calls_to(optax, "flatten")
    flags = ["--fused"] if fused else []
    run = cli("compare", "--methods", "jax-gd,optax-adam", "--epochs", 20, "--no-plots",
              "--repeat", *flags, "--json", "-", "--out", tmp_path)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert [r["error"] for r in results] == [None, None]
    assert all(r["seconds_steady"] > 0 for r in results)
    # One flattened optimizer per JAX method, shared by its first and repeated run.
    assert len(flattened) == (2 if fused else 0)


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


def test_repeat_reports_the_steady_time_too(tmp_path, cli):
    run = cli("compare", "--methods", "optax-sgd", "--epochs", 30, "--repeat", "--no-plots",
              "--out", tmp_path)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    (result,) = json.loads((tmp_path / "results.json").read_text())["results"]
    assert result["seconds_first"] > 0 and result["seconds_steady"] > 0
    header = run.stdout.splitlines()[0].split()
    assert header[-5:] == ["first", "s", "steady", "s", "epochs/s"]
    assert "first s: compiling included; steady s and epochs/s: the repeated run" in run.stdout
    assert "optax-sgd, steady run: started" in run.stderr.splitlines()


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


def test_one_good_method_keeps_exit_code_zero_and_plots_say_who_diverged(
    tmp_path, cli, saved_figures
):
    run = cli(
        "compare", "--methods", "jax-gd,optax-adam", "--lr", 50, "--epochs", 200,
        "--out", tmp_path,
    )  # fmt: skip
    gd, adam = json.loads((tmp_path / "results.json").read_text())["results"]
    assert gd["diverged"] is True and adam["diverged"] is False
    assert run.exit_code == 0 and "error" not in run.stderr
    diverged = f"jax-gd (gd, lr 50): diverged at epoch {gd['diverged_epoch']}"
    adam_label = f"optax-adam (adam, lr 50): val MSE {adam['val_mse']:.4f}"
    loss = saved_figures["validation_loss.png"]
    assert loss["legend"] == [diverged, adam_label] and all(loss["lines"].values())
    fits = saved_figures["fits.png"]
    assert fits["legend"] == ["training data", adam_label]  # no entry without a curve
    assert fits["notes"] == [f"not drawn: {diverged}"]
    assert "nan" not in " ".join(loss["legend"] + fits["legend"]).lower()


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


def test_an_interrupt_exits_130_and_leaves_no_output_folder(tmp_path, cli, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "train_optax", interrupted)
    run = cli("compare", "--methods", "jax-gd,optax-adam", "--epochs", 50, "--out", tmp_path / "o")
    assert run.exit_code == 130
    assert run.stderr.splitlines()[-2:] == [
        "jax-gd, first run (compiling included): interrupted",
        "nnreg compare: interrupted",
    ]
    assert not (tmp_path / "o").exists()


def test_sigint_stops_the_console_script_within_2_s_leaving_nothing(tmp_path):
    nnreg = Path(sys.executable).with_name("nnreg")
    out = tmp_path / "never"
    command = [str(nnreg), "compare", "--methods", "optax-adam", "--epochs", "10000000",
               "--no-cache", "--out", str(out)]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            for line in process.stderr:  # off a terminal, progress comes as lines
                if "/10000000 epochs" in line:  # training is under way
                    break
            signalled = time.monotonic()
            process.send_signal(signal.SIGINT)
            exit_code = process.wait(timeout=30)
            seconds = time.monotonic() - signalled
            rest = process.stderr.read()
        finally:
            process.kill()
    assert exit_code == 130 and seconds < 2.0, (exit_code, seconds, rest)
    assert rest.splitlines()[-1] == "nnreg compare: interrupted"
    assert not out.exists()


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
