"""Outputs are never an input of the same command, and special files are written through."""

import os
import re
import stat
import threading

import numpy as np
import pytest

import nnreg.core as core

ROWS = [(100 + 10 * i, 50 + 4 * i + (i % 3)) for i in range(20)]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "data.csv").write_text("income,food\n" + "".join(f"{a},{b}\n" for a, b in ROWS))
    x = np.array(ROWS, float)
    model = core.Regressor(epochs=5).fit(x[:, :1], x[:, 1], x_columns=["income"], y_column="food")
    model.save(tmp_path / "model.npz")
    return tmp_path


def contents(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("data.csv", r"--out .*data\.csv is the same file as DATA .*data\.csv"),
        ("model.npz", r"--out .*model\.npz is the same file as MODEL .*model\.npz"),
        ("link.csv", r"--out .*link\.csv is the same file as DATA .*data\.csv"),
        ("hard.csv", r"--out .*hard\.csv is the same file as DATA .*data\.csv"),
    ],
)
def test_predict_never_replaces_its_inputs(folder, cli, out, message):
    (folder / "link.csv").symlink_to(folder / "data.csv")
    os.link(folder / "data.csv", folder / "hard.csv")
    before = contents(folder)
    run = cli("predict", folder / "model.npz", folder / "data.csv", "--out", folder / out)
    assert run.exit_code == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "an output must not replace an input" in run.stderr
    assert re.search(message, run.stderr), run.stderr
    assert contents(folder) == before


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--out", "data.csv"], r"--out .*data\.csv is the same file as DATA"),
        (["--json", "data.csv"], r"--json .*data\.csv is the same file as DATA"),
        (["--json", "r.json", "--plot", "r.json"], r"--plot .*r\.json is the same file as --json"),
        (["--json", "m.npz"], r"--json .*m\.npz is the same file as --out .*m\.npz"),
    ],
)
def test_fit_outputs_are_distinct_files_and_never_the_data(folder, cli, flags, message):
    flags = [folder / f if not f.startswith("--") else f for f in flags]
    if "--out" not in flags:
        flags += ["--out", folder / "m.npz"]
    before = contents(folder)
    run = cli("fit", folder / "data.csv", "--x", "income", "--y", "food", *flags)
    assert run.exit_code == 2
    assert re.search(message, run.stderr), run.stderr
    assert run.stderr.count("\n") == 1  # one line, no progress before it
    assert contents(folder) == before


def test_an_output_linking_into_a_missing_folder_is_refused_before_training(folder, cli):
    link = folder / "link.npz"
    link.symlink_to(folder / "nowhere" / "m.npz")
    run = cli("fit", folder / "data.csv", "--x", "income", "--y", "food", "--out", link)
    assert run.exit_code == 2
    message = f"--out {link}: it links into folder {folder / 'nowhere'}, which does not exist"
    assert f"error: cannot write {message}" in run.stderr
    assert run.stderr.count("\n") == 1  # one line, no progress before it


def test_predict_writes_through_dev_null(folder, cli):
    run = cli("predict", folder / "model.npz", folder / "data.csv", "--out", "/dev/null")
    assert run.exit_code == 0, run.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_predict_writes_through_a_fifo(folder, cli):
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    run = cli("predict", folder / "model.npz", folder / "data.csv", "--out", fifo)
    reader.join(timeout=30)
    assert run.exit_code == 0, run.stderr
    assert received and received[0].splitlines()[0] == "income,food_pred,food_std"
    assert len(received[0].splitlines()) == len(ROWS) + 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_fit_writes_model_report_and_plot_together_or_not_at_all(folder, cli, monkeypatch):
    (folder / "r.json").write_text("old report")
    (folder / "m.npz").write_bytes(b"old model")
    before = contents(folder)

    def disk_full(self, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core.Regressor, "save", disk_full)
    flags = ["--out", folder / "m.npz", "--json", folder / "r.json", "--plot", folder / "f.png"]
    run = cli("fit", folder / "data.csv", "--x", "income", "--y", "food", *flags, "--quiet")
    assert run.exit_code == 1
    assert (
        run.stderr.strip()
        == f"nnreg fit: error: cannot write --out {folder / 'm.npz'}: No space left on device"
    )
    assert contents(folder) == before  # no report, no plot, no temporaries
    monkeypatch.undo()
    run = cli("fit", folder / "data.csv", "--x", "income", "--y", "food", *flags, "--quiet")
    assert run.exit_code == 0, run.stderr
    assert {"r.json", "f.png", "m.npz"} <= set(contents(folder))
    assert not list(folder.glob(".*.tmp"))
