"""`nnreg fit` on a terminal: an error found before training is the only line; a run that
fails after training ends its progress line before the error."""

import io

import numpy as np
import pytest

from nnreg.cli import _progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run_on_terminal(cli, *args):
    """``nnreg ARGS`` in this process with stderr a terminal: (exit code, stderr)."""
    run = cli(*args, stderr=Terminal())
    return run.exit_code, run.stderr


@pytest.fixture
def curve(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5, 40)
    y = np.sin(x) + 0.1 * rng.normal(size=40)
    rows = "".join(f"{a},{b}\n" for a, b in zip(x, y, strict=True))
    (tmp_path / "curve.csv").write_text("x,y\n" + rows)
    (tmp_path / "flat.csv").write_text("x,y\n" + "".join(f"7,{i}\n" for i in range(40)))
    return tmp_path


def test_an_error_found_before_training_is_the_only_line(curve, cli):
    code, stderr = run_on_terminal(
        cli, "fit", curve / "flat.csv", "--x", "x", "--y", "y", "--out", curve / "m.npz"
    )
    assert code == 2
    assert stderr.startswith("nnreg fit: error: column 'x' is constant in the training rows")
    assert stderr.count("\n") == 1 and "\r" not in stderr and "\033" not in stderr
    assert not (curve / "m.npz").exists()


def test_a_failure_after_training_ends_the_progress_line_first(curve, cli, monkeypatch):
    monkeypatch.setattr(_progress, "ANNOUNCE_AFTER", 0)  # the stage shows however fast it fails
    code, stderr = run_on_terminal(
        cli, "fit", curve / "curve.csv", "--x", "x", "--y", "y", "--out", curve / "m.npz",
        "--optimizer", "sgd", "--lr", 1e4, "--patience", 0, "--epochs", 50,
    )  # fmt: skip
    assert code == 1
    progress, error = stderr.rsplit("\n", 2)[:2]
    assert progress.startswith("\r\033[Kfit y from x, compiling included…")
    assert progress.endswith("\r\033[Kfit y from x, compiling included: failed")
    assert error.startswith(
        "nnreg fit: error: weight decay 0.03: ensemble member 0: training diverged at epoch "
    )
    assert stderr.endswith(error + "\n") and not (curve / "m.npz").exists()
