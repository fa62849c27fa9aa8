"""How a command holds Ctrl-C: recorded while held, raised at checkpoints and in the blocks
that may stop at once, and never lost when Python drops it inside a callback."""

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnreg.cli import _interrupts


def send_sigint():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # Python runs the handler at its next bytecode


def test_held_interrupts_wait_for_a_checkpoint():
    with _interrupts.held():
        send_sigint()  # no KeyboardInterrupt here
        with pytest.raises(KeyboardInterrupt):
            _interrupts.checkpoint()
        _interrupts.checkpoint()  # raised once only


def test_a_block_that_may_stop_raises_at_once_and_holds_again_after():
    with _interrupts.held():
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            send_sigint()
            pytest.fail("the interrupt did not stop the block")
        send_sigint()
        with pytest.raises(KeyboardInterrupt):
            _interrupts.checkpoint()


def test_an_interrupt_held_before_the_block_stops_it_before_it_starts():
    started = []
    with _interrupts.held():
        send_sigint()
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            started.append(True)
    assert not started


class RaisesWhenCollected:
    """Its finaliser raises as Python's handler would inside jax's gc callback."""

    def __del__(self):
        raise KeyboardInterrupt


def test_an_interrupt_python_drops_in_a_finaliser_is_sent_again(capfd):
    with _interrupts.held():
        with pytest.raises(KeyboardInterrupt), _interrupts.raised_during():
            cycle = [RaisesWhenCollected()]
            cycle.append(cycle)
            del cycle
            gc.collect()  # the KeyboardInterrupt from __del__ is dropped here...
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:  # ...and must arrive again
                time.sleep(0.01)
            pytest.fail("the dropped interrupt was not sent again")
    assert "Exception ignored" not in capfd.readouterr().err


def test_handlers_are_restored_after_a_command():
    before = signal.getsignal(signal.SIGINT)
    with _interrupts.held():
        send_sigint()
    assert signal.getsignal(signal.SIGINT) is before
    _interrupts.checkpoint()  # what a finished command left recorded is gone


NNREG_SCRIPT = Path(sys.executable).with_name("nnreg")


@pytest.mark.parametrize(
    "command",
    [
        ["sweep", "--seeds", 2, "--lrs", 0.01, "--epochs", 100_000_000],
        ["compare", "--methods", "keras", "--epochs", 10_000_000],
    ],
    ids=["sweep", "compare-keras"],
)
def test_ctrl_c_stops_training_promptly_and_writes_nothing(command, tmp_path):
    out = tmp_path / "results"
    process = subprocess.Popen(
        [NNREG_SCRIPT, *map(str, command), "--out", out, "--json", tmp_path / "r.json"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NNREG_NO_CACHE": "1"},
    )
    lines = []
    for line in process.stderr:  # off a terminal: a line at least every 3 s
        lines.append(line)
        if " epochs, " in line:  # training is under way
            break
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=60)[1]
    latency = time.monotonic() - sent
    stderr = "".join(lines) + rest
    assert process.returncode == 130, stderr
    assert stderr.endswith(f"nnreg {command[0]}: interrupted\n") and "Traceback" not in stderr
    assert latency < 1, latency  # the console script leaves at once
    assert list(tmp_path.iterdir()) == []  # no folder, no JSON, no temporary


def test_sigterm_to_the_console_script_stops_training_like_ctrl_c(tmp_path):
    out = tmp_path / "results"
    process = subprocess.Popen(
        [NNREG_SCRIPT, "sweep", "--seeds", "2", "--lrs", "0.01", "--epochs", "100000000",
         "--out", out, "--json", tmp_path / "r.json"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NNREG_NO_CACHE": "1"},
    )  # fmt: skip
    lines = []
    for line in process.stderr:
        lines.append(line)
        if " epochs, " in line:  # training is under way
            break
    process.terminate()
    stderr = "".join(lines) + process.communicate(timeout=60)[1]
    assert process.returncode == 143, stderr
    assert stderr.endswith("nnreg sweep: terminated\n") and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


# The console script's watcher ends its process, so it is tested in child processes.
WATCHED_CHILD = """
import os, signal, sys, time
from nnreg.cli import _interrupts

_interrupts.leave_at_once_from_now()
with _interrupts.held("nnreg child"):
    {body}
"""


def run_watched_child(body):
    indented = "\n    ".join(body.strip().splitlines())
    return subprocess.run(
        [sys.executable, "-c", WATCHED_CHILD.format(body=indented)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_the_console_scripts_signals_end_the_process_at_once(signum, code, word):
    done = run_watched_child(f"""
os.kill(os.getpid(), {int(signum)})
time.sleep(5)
print("ran on")
""")
    assert done.returncode == code
    assert done.stderr == f"nnreg child: {word}\n" and "ran on" not in done.stdout


def test_the_console_scripts_ctrl_c_waits_for_outputs_being_written():
    done = run_watched_child("""
with _interrupts.writing():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)
    print("written", flush=True)
try:
    _interrupts.checkpoint()
except KeyboardInterrupt:
    print("raised at the checkpoint", flush=True)
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "written\nraised at the checkpoint\n"


def test_the_console_scripts_ctrl_c_is_ignored_once_the_exit_code_is_decided():
    # Ignored, not recorded: during the interpreter's shutdown, after Python has put back the
    # default handling, a recorded one ended the process by the signal.
    done = run_watched_child("""
_interrupts.decided()
os.kill(os.getpid(), signal.SIGINT)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(0.5)
ignored = [signal.getsignal(s) is signal.SIG_IGN for s in (signal.SIGINT, signal.SIGTERM)]
print("finished", ignored, flush=True)
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "finished [True, True]\n"


@pytest.mark.parametrize(
    ("signum", "outcome"),
    [(signal.SIGINT, (130, "interrupted")), (signal.SIGTERM, (143, "terminated"))],
    ids=["ctrl-c", "sigterm"],
)
def test_the_console_scripts_signals_stop_a_wait_for_a_fifos_reader(tmp_path, signum, outcome):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = run_watched_child(f"""
import threading
from nnreg.cli._outputs_together import OutputsTogether
threading.Timer(0.5, os.kill, (os.getpid(), {int(signum)})).start()
try:
    with OutputsTogether() as outputs:
        outputs.stage({str(tmp_path / "model.npz")!r}, b"model", flag="--out")
        outputs.stage({str(fifo)!r}, b"report", flag="--json")
except KeyboardInterrupt:
    print("stopped", _interrupts.outcome(), flush=True)
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"stopped {outcome}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]  # no model, nothing staged


# The command modules load slowly here (as on a busy machine), and Ctrl-C comes meanwhile.
SLOW_START = """
import importlib.abc, os, signal, sys, threading, time

class SlowCommands(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "nnreg.cli._entry_point":
            threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
            time.sleep(5)
        return None

sys.meta_path.insert(0, SlowCommands())
sys.argv = ["nnreg", "--version"]
from nnreg.cli._console_script import script
script()
print("ran on")
"""


def test_the_console_script_takes_ctrl_c_while_its_commands_load():
    done = subprocess.run(
        [sys.executable, "-c", SLOW_START], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "nnreg: interrupted\n" and "ran on" not in done.stdout
