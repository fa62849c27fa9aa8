"""Strict JAX for every test: silent rank promotion and stray warnings are bugs.

Also the ``nnreg`` command two ways: ``cli`` runs ``main`` in this process (like click's
CliRunner: exit code and captured output, no JAX start-up per call), ``console_script`` runs
the installed script in a fresh process, for what only a real process shows.
"""

import contextlib
import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest

# Broadcasting (n,) against (n, 1) is the classic silent bug in regression code.
jax.config.update("jax_numpy_rank_promotion", "raise")

NNREG_SCRIPT = Path(sys.executable).with_name("nnreg")


@dataclasses.dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args):
    """``nnreg ARGS`` in this process; a usage error's SystemExit becomes its exit code.

    JAX's compilation cache is process-wide, so the command runs with it off.
    """
    from nnreg.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
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
