"""`nnreg sweep`: the table, JSON and plot of seeds x learning rates, and its exit codes."""

import json

import matplotlib.image
import optax
import pytest

import nnreg.core as core

FOUR_CPU_DEVICES = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}


def test_sweep_command_on_four_devices(tmp_path, console_script):
    run = console_script(
        "sweep", "--optimizer", "sgd", "--seeds", 3, "--lrs", "0.001,0.01,80",
        "--epochs", 150, "--json", "-", "--out", tmp_path, env=FOUR_CPU_DEVICES,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["devices"] == 4
    assert document["config"]["seed"] == 1234 and document["config"]["val_seed"] != 1234
    assert document["seconds"] > 0
    results = document["results"]
    assert len(results) == 9
    assert [r["seed"] for r in results] == [1234, 1235, 1236] * 3
    assert [r["learning_rate"] for r in results] == [0.001] * 3 + [0.01] * 3 + [80.0] * 3
    assert all(r["diverged"] for r in results[6:]) and not any(r["diverged"] for r in results[:6])
    # Member 1235 at 0.01 trained alone must give the same validation MSE.
    x, y = core.generate_data()
    x_val, y_val = core.generate_data(seed=core.VALIDATION_SEED)
    alone = core.train_optax(core.init_params(seed=1235), optax.sgd(0.01), x, y, x_val, y_val,
                             epochs=150)  # fmt: skip
    assert results[4]["val_mse"] == pytest.approx(alone.final_val_loss, abs=1e-4)
    assert "diverged" in run.stderr and "4 device(s)" in run.stderr
    image = matplotlib.image.imread(tmp_path / "sweep.png")
    assert image.ndim == 3 and image.shape[1] > 300


def test_fused_sweep_trains_every_member_through_mlp_tanh(tmp_path, cli, calls_to):
    flattened = calls_to(core, "flat_update")
    common = ["sweep", "--optimizer", "adam", "--seeds", 2, "--lrs", "0.001,0.01"]
    common += ["--epochs", 60, "--no-plots", "--json", "-", "--out", tmp_path]
    fused = cli(*common, "--fused")
    assert flattened == [core.optimizer_factory("adam")]  # one flat update, fused only
    plain = cli(*common)
    assert len(flattened) == 1
    assert fused.exit_code == 0 and plain.exit_code == 0, fused.stderr + plain.stderr
    fused_doc, plain_doc = json.loads(fused.stdout), json.loads(plain.stdout)
    assert fused_doc["fusion"] == "network" and fused_doc["kernel"] in ("cpu", "cuda")
    assert plain_doc["fusion"] is None and plain_doc["kernel"] == "jnp"
    assert "fusion network, kernel " in fused.stderr and "fusion none, kernel jnp" in plain.stderr
    for f, p in zip(fused_doc["results"], plain_doc["results"], strict=True):
        assert f["val_mse"] == pytest.approx(p["val_mse"], rel=1e-4)


def test_plot_labels_every_learning_rate_and_starts_at_zero(tmp_path, cli, saved_figures):
    run = cli(
        "sweep", "--optimizer", "sgd", "--seeds", 2, "--lrs", "0.001,0.003,80", "--epochs", 100,
        "--out", tmp_path,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    figure = saved_figures["sweep.png"]
    assert figure["xticks"] == ["0.001", "0.003", "80\n(all 2 diverged)"]
    assert figure["ylim"][0] == 0
    assert figure["title"] == "Sweep: sgd, 100 epochs, 2 seeds per learning rate"
    assert figure["legend"] == ["member (one seed)", "mean over seeds"]
    members = json.loads((tmp_path / "sweep.json").read_text())["results"]
    assert {(m["optimizer"], m["learning_rate"]) for m in members} == {
        ("sgd", 0.001), ("sgd", 0.003), ("sgd", 80.0)
    }  # fmt: skip
    stage = "6 members, sgd, compiling included"
    assert run.stderr.splitlines()[0] == f"{stage}: started"
    assert f"{stage}: 100/100 epochs, mean train MSE " in run.stderr
    assert all(line == line.rstrip() for line in run.stdout.splitlines())


def test_every_member_diverging_exits_1(tmp_path, cli):
    run = cli(
        "sweep", "--optimizer", "gd", "--seeds", 2, "--lrs", "60,80", "--epochs", 60,
        "--no-plots", "--quiet", "--out", tmp_path / "out",
    )  # fmt: skip
    assert run.exit_code == 1
    assert run.stderr == "nnreg sweep: error: every one of the 4 members diverged\n"
    assert "diverged" in run.stdout  # the table still reports them
    members = json.loads((tmp_path / "out" / "sweep.json").read_text())["results"]
    assert [m["diverged"] for m in members] == [True] * 4 and members[0]["val_mse"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lrs", "0.01,fast"], "argument --lrs: expected comma-separated positive numbers"),
        (["--lrs", ","], "argument --lrs: give at least one learning rate"),
        (["--seed", "4294967295", "--seeds", "2"], "--seed + --seeds - 1 = 4294967296 is past"),
        (["--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    ],
)
def test_bad_flags_give_sweeps_usage_and_exit_code_2(args, message, tmp_path, cli):
    run = cli("sweep", *args, "--out", tmp_path / "out")
    assert run.exit_code == 2 and run.stderr.startswith("usage: nnreg sweep")
    assert f"nnreg sweep: error: {message}" in run.stderr
    assert not (tmp_path / "out").exists()
