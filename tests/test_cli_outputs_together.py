"""A command writes all of its outputs or none: paths are checked before training, every
output is staged and renamed into place only when all of them were written, and special
files are written through."""

import json
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from nnreg.cli import _figures

SWEEP = ["sweep", "--seeds", 1, "--lrs", 0.01, "--epochs", 20, "--cpu-devices", 1, "--quiet"]


def everything_in(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def folders_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_dir())


@pytest.fixture
def no_write_permission(monkeypatch):
    """Pretend, as root too, that the folders given cannot be written into."""
    denied = set()
    access = os.access

    def fake_access(path, mode, **kwargs):
        if mode & os.W_OK and Path(path).resolve() in denied:
            return False
        return access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", fake_access)
    return lambda folder: denied.add(Path(folder).resolve())


@pytest.mark.parametrize("command", [SWEEP, ["compare", "--methods", "keras", "--quiet"]])
def test_an_unwritable_json_fails_before_training(command, tmp_path, cli, no_write_permission):
    (tmp_path / "locked").mkdir()
    no_write_permission(tmp_path / "locked")
    json_path = tmp_path / "locked" / "r.json"
    run = cli(*command, "--out", tmp_path / "results", "--json", json_path)
    assert run.exit_code == 2 and run.stdout == ""
    name = command[0]
    assert run.stderr == (
        f"nnreg {name}: error: cannot write --json {json_path}: folder {json_path.parent} "
        "is not writable\n"
    )
    assert folders_in(tmp_path) == ["locked"]  # no results folder, nothing trained


def test_an_unwritable_output_folder_fails_before_training(tmp_path, cli, no_write_permission):
    no_write_permission(tmp_path)
    run = cli(*SWEEP, "--out", tmp_path / "new" / "results")
    assert run.exit_code == 2
    assert run.stderr == (
        f"nnreg sweep: error: cannot write to --out {tmp_path / 'new' / 'results'}: "
        f"{tmp_path} is not writable\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_json_must_not_be_a_file_of_the_output_folder(tmp_path, cli):
    (tmp_path / "results").mkdir()
    json_path = tmp_path / "results" / "sweep.json"
    run = cli(*SWEEP, "--out", tmp_path / "results", "--json", json_path)
    assert run.exit_code == 2
    assert run.stderr == (
        f"nnreg sweep: error: --json {json_path} is the same file as --out {json_path}: "
        "an output must not replace another output\n"
    )
    assert everything_in(tmp_path) == {}


def disk_full_for(monkeypatch, name):
    """Saving the figure ``name`` fails as on a full disk."""
    save = _figures.save_figure

    def save_or_fail(figure, path):
        if Path(path).name == name:
            _figures.plt.close(figure)
            raise OSError(28, "No space left on device")
        save(figure, path)

    monkeypatch.setattr(_figures, "save_figure", save_or_fail)


def test_a_failed_plot_leaves_no_results_and_no_new_folder(tmp_path, cli, monkeypatch):
    disk_full_for(monkeypatch, "sweep.png")
    out = tmp_path / "new" / "results"
    run = cli(*SWEEP, "--out", out, "--json", tmp_path / "r.json")
    assert run.exit_code == 1
    assert run.stderr == (
        f"nnreg sweep: error: cannot write --out {out / 'sweep.png'}: No space left on device\n"
    )
    assert list(tmp_path.iterdir()) == []  # no sweep.json, no r.json, no folders, no staging


def test_a_failed_plot_leaves_the_previous_results_untouched(tmp_path, cli, monkeypatch):
    out = tmp_path / "results"
    assert cli(*SWEEP, "--out", out, "--json", tmp_path / "r.json").exit_code == 0
    before = everything_in(tmp_path)
    assert set(before) == {"results/sweep.json", "results/sweep.png", "r.json"}
    disk_full_for(monkeypatch, "sweep.png")
    run = cli(*SWEEP, "--out", out, "--json", tmp_path / "r.json", "--epochs", 30)
    assert run.exit_code == 1 and "No space left on device" in run.stderr
    assert everything_in(tmp_path) == before and folders_in(tmp_path) == ["results"]


def test_a_failed_plot_in_compare_leaves_no_results(tmp_path, cli, monkeypatch):
    disk_full_for(monkeypatch, "fits.png")
    out = tmp_path / "results"
    command = ["compare", "--methods", "optax-adam", "--epochs", 20, "--quiet", "--out", out]
    run = cli(*command)
    assert run.exit_code == 1
    assert run.stderr.endswith(
        f"nnreg compare: error: cannot write --out {out / 'fits.png'}: No space left on device\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 5, 50)
    y = np.sin(x) + 0.1 * rng.normal(size=50)
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y, strict=True)))
    return path


def test_fit_writes_through_dev_null_where_dev_is_not_writable(data_csv, cli, no_write_permission):
    no_write_permission("/dev")  # as for any user but root
    fit = ["fit", data_csv, "--x", "x", "--y", "y", "--epochs", 20, "--quiet"]
    run = cli(*fit, "--out", "/dev/null", "--json", "/dev/null")
    assert run.exit_code == 0, run.stderr
    assert "model written to /dev/null" in run.stdout
    assert Path("/dev/null").is_char_device()
    assert list(data_csv.parent.iterdir()) == [data_csv]


def test_fit_writes_its_report_through_a_fifo(data_csv, cli):
    fifo = data_csv.parent / "report.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    fit = ["fit", data_csv, "--x", "x", "--y", "y", "--epochs", 20, "--quiet"]
    run = cli(*fit, "--out", data_csv.parent / "m.npz", "--json", fifo)
    reader.join(timeout=60)
    assert run.exit_code == 0, run.stderr
    assert json.loads(received[0])["epochs_run"] == 20
    assert fifo.is_fifo() and (data_csv.parent / "m.npz").is_file()


def test_an_output_through_a_symbolic_link_keeps_the_link(data_csv, cli):
    real = data_csv.parent / "real.json"
    real.write_text("old")
    link = data_csv.parent / "link.json"
    link.symlink_to(real)
    fit = ["fit", data_csv, "--x", "x", "--y", "y", "--epochs", 20, "--quiet"]
    run = cli(*fit, "--out", data_csv.parent / "m.npz", "--json", link)
    assert run.exit_code == 0, run.stderr
    assert link.is_symlink() and json.loads(real.read_text())["epochs_run"] == 20
    assert not [p for p in data_csv.parent.iterdir() if re.match(r"\.", p.name)]
