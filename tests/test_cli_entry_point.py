"""The `nnreg` entry point: help, --version, and one exit-code policy for every command."""

import importlib.metadata
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnreg.core as core

NNREG_SCRIPT = Path(sys.executable).with_name("nnreg")

EXIT_CODES = "exit codes: 0 success; 1 the run itself failed"


def test_help_lists_every_command_and_the_exit_codes(cli):
    run = cli("--help")
    assert run.exit_code == 0
    for command in ("compare", "sweep", "fit", "predict"):
        assert f"    {command} " in run.stdout
    text = " ".join(run.stdout.split())
    assert EXIT_CODES in text and "2 bad command line or bad input file; 130 interrupted" in text


@pytest.mark.parametrize("command", ["compare", "sweep", "fit", "predict"])
def test_every_commands_help_states_the_exit_codes(command, cli):
    run = cli(command, "--help")
    assert run.exit_code == 0 and f"usage: nnreg {command}" in run.stdout
    assert EXIT_CODES in " ".join(run.stdout.split())


def test_the_console_scripts_help_does_not_import_jax_keras_or_matplotlib():
    # -X importtime lists every module the script imports, on stderr.
    run = subprocess.run(
        [sys.executable, "-X", "importtime", str(NNREG_SCRIPT), "compare", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and "--methods" in run.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "nnreg.cli._compare_command" in imported  # the listing is what the test thinks
    assert not {"jax", "keras", "matplotlib", "optax"} & imported


def test_version_names_every_package_without_starting_jax(cli):
    run = cli("--version")
    assert run.exit_code == 0 and run.stderr == ""
    assert run.stdout.splitlines() == [
        f"{name} {importlib.metadata.version(name)}"
        for name in ("nnreg-cli", "nnreg-core", "nnreg-kernels", "jax")
    ]


def test_a_subcommand_typo_gets_that_subcommands_usage(cli):
    run = cli("sweep", "--lrs", "0.1", "--fussed")
    assert run.exit_code == 2
    assert run.stderr.startswith("usage: nnreg sweep ")
    assert run.stderr.endswith("nnreg sweep: error: unrecognized arguments: --fussed\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_no_or_an_unknown_command_is_a_usage_error(args, message, cli):
    run = cli(*args)
    assert run.exit_code == 2
    assert run.stderr.startswith("usage: nnreg ") and f"nnreg: error: {message}" in run.stderr


def test_the_console_scripts_bad_flag_exits_2_without_a_traceback(console_script):
    run = console_script("compare", "--epochs", "0")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("usage: nnreg compare")
    assert "nnreg compare: error: argument --epochs: must be a positive integer, got 0" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i * i % 7}\n" for i in range(30)))
    return path


def test_a_bug_is_not_disguised_as_a_users_error(csv_file, cli, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("an internal bug")

    monkeypatch.setattr(core, "read_csv_columns", broken)
    with pytest.raises(RuntimeError, match="an internal bug"):
        cli("fit", csv_file, "--x", "a", "--y", "b", "--out", csv_file.with_suffix(".npz"))


def test_an_interrupt_exits_130(csv_file, cli, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "read_csv_columns", interrupted)
    run = cli("fit", csv_file, "--x", "a", "--y", "b", "--out", csv_file.with_suffix(".npz"))
    assert run.exit_code == 130 and run.stderr == "nnreg fit: interrupted\n"


def _as_in_a_shell(tmp_path):
    """The console script's environment as a user's shell gives it: output buffered."""
    environment = {**os.environ, "NNREG_CACHE_DIR": str(tmp_path / "jax-cache")}
    environment.pop("PYTHONUNBUFFERED", None)
    return environment


def _with_stdout(tmp_path, stdout, *args):
    """``(exit code, stderr)`` of the console script writing to file descriptor ``stdout``."""
    run = subprocess.run(
        [str(NNREG_SCRIPT), *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=_as_in_a_shell(tmp_path),
        timeout=600,
    )
    return run.returncode, run.stderr


def _with_stdout_closed(tmp_path, *args):
    """As ``_with_stdout``, into a pipe whose reader has left, as ``nnreg ... | head``
    leaves it."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return _with_stdout(tmp_path, writer, *args)
    finally:
        os.close(writer)


def _with_stdout_full(tmp_path, *args):
    """As ``_with_stdout``, into ``/dev/full``, where every write fails: no space left."""
    with open("/dev/full", "wb") as full:
        return _with_stdout(tmp_path, full.fileno(), *args)


def test_help_and_predict_into_a_closed_pipe_exit_1_quietly(csv_file, tmp_path, console_script):
    assert _with_stdout_closed(tmp_path, "--help") == (1, "")
    model = tmp_path / "model.npz"
    # In a process of its own: starting JAX here would fix this process's devices for the
    # tests after it.
    fit = console_script("fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--quiet")
    assert fit.returncode == 0, fit.stderr
    assert _with_stdout_closed(tmp_path, "predict", model, csv_file) == (1, "")


def test_a_fit_whose_summarys_reader_left_keeps_its_model_without_a_traceback(csv_file, tmp_path):
    model = tmp_path / "model.npz"
    exit_code, stderr = _with_stdout_closed(
        tmp_path, "fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--epochs", "20"
    )
    assert exit_code == 1
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    # The summary is printed after the model is written (whole: it appears by a rename).
    with np.load(model, allow_pickle=False) as contents:
        assert str(contents["format"]) == "nnreg-regressor"


def test_a_fit_whose_json_reader_left_writes_no_model(csv_file, tmp_path):
    model = tmp_path / "model.npz"
    exit_code, stderr = _with_stdout_closed(
        tmp_path, "fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--json", "-",
        "--epochs", "20", "--quiet",
    )  # fmt: skip
    assert (exit_code, stderr) == (1, "")
    assert not model.exists()  # the model appears with its report or not at all


NO_SPACE = "cannot write to standard output: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full")
def test_standard_output_without_space_is_one_line_and_exit_1(csv_file, tmp_path):
    model = tmp_path / "model.npz"
    code, stderr = _with_stdout_full(
        tmp_path, "fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--quiet"
    )
    # The summary, printed after the model is written, fails as the process ends.
    assert (code, stderr) == (1, f"nnreg: error: {NO_SPACE}")
    assert model.exists()
    code, stderr = _with_stdout_full(tmp_path, "predict", model, csv_file)
    assert (code, stderr) == (1, f"nnreg predict: error: {NO_SPACE}")
    assert _with_stdout_full(tmp_path, "--version") == (1, f"nnreg: error: {NO_SPACE}")


def _in_a_shell(tmp_path, redirections, *args):
    """``(exit code, stdout, stderr)`` of the console script run by a shell, with
    ``redirections`` (``2>&-``: started without a standard error)."""
    command = " ".join(shlex.quote(str(arg)) for arg in [NNREG_SCRIPT, *args])
    run = subprocess.run(
        f"{command} {redirections}",
        shell=True,
        capture_output=True,
        text=True,
        env=_as_in_a_shell(tmp_path),
        timeout=600,
    )
    return run.returncode, run.stdout, run.stderr


@pytest.mark.parametrize("redirection", ["2>&-", "2>/dev/full"])
def test_a_fit_without_a_usable_standard_error_still_writes_its_model(
    redirection, csv_file, tmp_path
):
    if "full" in redirection and not Path("/dev/full").is_char_device():
        pytest.skip("no /dev/full")
    model = tmp_path / "model.npz"
    fit = ("fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--epochs", "20")
    code, stdout, _ = _in_a_shell(tmp_path, redirection, *fit)
    assert code == 0
    assert f"model written to {model}" in stdout
    assert model.exists()


def test_a_command_started_without_standard_output_says_so(csv_file, tmp_path):
    model = tmp_path / "model.npz"
    fit = ("fit", csv_file, "--x", "a", "--y", "b", "--out", model, "--json", "-", "--quiet")
    code, _, stderr = _in_a_shell(tmp_path, ">&-", *fit)
    assert (code, stderr) == (
        1,
        "nnreg fit: error: cannot write to standard output: it is closed\n",
    )
    assert list(tmp_path.glob("*.npz")) == [] and list(tmp_path.glob(".nnreg-*")) == []
    # argparse drops an OSError while printing help: the console script still reports it.
    code, _, stderr = _in_a_shell(tmp_path, ">&-", "--help")
    assert (code, stderr) == (1, "nnreg: error: cannot write to standard output: it is closed\n")


def test_a_model_or_report_written_to_dev_stdout_gets_standard_output_alone(csv_file, tmp_path):
    fit = ("fit", csv_file, "--x", "a", "--y", "b", "--epochs", "20", "--quiet")
    redirected = tmp_path / "redirected.npz"
    code, _, stderr = _in_a_shell(tmp_path, f"> {redirected}", *fit, "--out", "/dev/stdout")
    assert code == 0, stderr
    assert "model written to /dev/stdout" in stderr  # the summary moved to stderr
    assert core.load_model(redirected).x_columns_ == ("a",)
    report = tmp_path / "report.json"
    code, _, stderr = _in_a_shell(
        tmp_path, f"> {report}", *fit, "--out", tmp_path / "m.npz", "--json", "/dev/stdout"
    )
    assert code == 0, stderr
    assert json.loads(report.read_text())["config"]["ensemble"] == 8


def test_two_outputs_to_standard_output_are_refused(csv_file, tmp_path):
    fit = ("fit", csv_file, "--x", "a", "--y", "b", "--epochs", "20", "--quiet")
    both = tmp_path / "both"
    flags = ("--out", "/dev/stdout", "--json", "-")
    code, _, stderr = _in_a_shell(tmp_path, f"> {both}", *fit, *flags)
    assert code == 2 and both.read_bytes() == b""
    assert "--out /dev/stdout and --json - both go to standard output: at most one output" in stderr
