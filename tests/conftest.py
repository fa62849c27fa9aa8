"""Strict JAX for every test: silent rank promotion and stray warnings are bugs.

Also the ``nnreg`` command two ways: ``cli`` runs ``main`` in this process (like click's
CliRunner: exit code and captured output, no JAX start-up per call), ``console_script`` runs
the installed script in a fresh process, for what only a real process shows; and
``saved_figures``, what each figure an in-process command saves says in words.
"""

import contextlib
import dataclasses
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

# Broadcasting (n,) against (n, 1) is the classic silent bug in regression code.
jax.config.update("jax_numpy_rank_promotion", "raise")

NNREG_SCRIPT = Path(sys.executable).with_name("nnreg")


@dataclasses.dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args, stderr=None):
    """``nnreg ARGS`` in this process; a usage error's SystemExit becomes its exit code.

    JAX's compilation cache is process-wide, so the command runs with it off. ``stderr``
    stands for standard error (a ``io.StringIO`` whose ``isatty`` says True plays a terminal).
    """
    from nnreg.cli import main

    stdout, stderr = io.StringIO(), stderr or io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        patch.setenv("NNREG_NO_CACHE", "1")
        try:
            exit_code = main([str(arg) for arg in args])
        except SystemExit as exit_:
            exit_code = exit_.code
    return CliRun(exit_code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def console_script(tmp_path_factory):
    """Run the installed ``nnreg`` script; every call shares one fresh compilation cache."""
    cache = tmp_path_factory.mktemp("jax-cache")

    def run(*args, env=None, timeout=600, **kwargs):
        environment = {**os.environ, "NNREG_CACHE_DIR": str(cache), **(env or {})}
        command = [str(NNREG_SCRIPT), *map(str, args)]
        return subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=timeout, **kwargs
        )

    return run


@pytest.fixture
def calls_to(monkeypatch):
    """``calls_to(owner, name)``: the list of first arguments of every call to ``owner.name``
    from then on (the original still runs)."""

    def record(owner, name):
        calls = []
        original = getattr(owner, name)

        def recording(first, *args, **kwargs):
            calls.append(first)
            return original(first, *args, **kwargs)

        monkeypatch.setattr(owner, name, recording)
        return calls

    return record


@pytest.fixture
def saved_figures(monkeypatch):
    return record_figures(monkeypatch)


@pytest.fixture(scope="session")
def figure_recorder():
    """``record_figures`` for fixtures wider than one test, with their own MonkeyPatch."""
    return record_figures


def record_figures(monkeypatch):
    """File name -> the words and limits of each figure the command saves (it still saves)."""
    from nnreg.cli import _figures

    figures = {}
    save = _figures.save_figure

    def record_and_save(fig, path):
        ax = fig.axes[0]
        legend = ax.get_legend()
        figures[Path(path).name] = {
            "title": ax.get_title(),
            "legend": [text.get_text() for text in legend.get_texts()] if legend else [],
            # label -> whether the line has anything to draw
            "lines": {
                line.get_label(): bool(np.isfinite(np.asarray(line.get_ydata(), float)).any())
                for line in ax.get_lines()
            },
            "notes": [text.get_text() for text in fig.texts],
            "xticks": [label.get_text() for label in ax.get_xticklabels()],
            "ylim": ax.get_ylim(),
        }
        save(fig, path)

    monkeypatch.setattr(_figures, "save_figure", record_and_save)
    return figures


@pytest.fixture(scope="session")
def lecture():
    """benchmarks/lecture_baseline.py: the lecture's own code, once for tests and benchmarks."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "lecture_baseline.py"
    spec = importlib.util.spec_from_file_location("lecture_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def platform(request):
    """Runs a kernel test with jax's default device on the platform, its native kernel in use.

    A GPU platform without jax's backend or the CUDA handler is skipped; the CPU kernel is
    always built, so a missing one fails the test instead of hiding.
    """
    from nnreg.kernels import implementation, load_error

    name = request.param
    try:
        device = jax.devices(name)[0]
    except RuntimeError:
        pytest.skip(f"jax has no {name} backend")
    if name != "cpu" and implementation(name) != name:
        pytest.skip(f"no native {name} kernel: {load_error(name)}")
    with jax.default_device(device):
        yield name
