"""The progress display: plain lines off a terminal, never silent for long; one redrawn line
on a terminal; nothing before a stage that fails at once; gone with --quiet."""

import io
import time

import pytest

from nnreg.cli._progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_off_a_terminal_a_silent_step_still_prints_every_interval():
    stream = io.StringIO()
    progress = Progress(quiet=False, stream=stream, interval=0.2, announce_after=0)
    with progress.stage("keras, first run") as report:
        time.sleep(0.7)  # loading Keras, compiling: no epochs reported
        report(50, 100, 0.25)
        time.sleep(0.3)  # the heartbeat now repeats the latest epochs
    lines = stream.getvalue().splitlines()
    assert lines[0] == "keras, first run: started"
    assert lines[1] == "keras, first run: still running (0 s)"
    assert 2 <= sum("still running" in line for line in lines) <= 4
    assert lines[-2].startswith("keras, first run: 50/100 epochs, train MSE 0.25")
    assert lines[-1].startswith("keras, first run: done in 1.")


def test_epochs_between_intervals_wait_for_the_next_line_but_the_last_always_shows():
    stream = io.StringIO()
    with Progress(quiet=False, stream=stream, interval=60).stage("fit") as report:
        for done in range(10, 101, 10):
            report(done, 100, float("nan") if done == 100 else 1.0 / done)
    lines = stream.getvalue().splitlines()
    assert lines[:2] == ["fit: started", "fit: 100/100 epochs, train MSE not finite (diverged)"]


def test_on_a_terminal_one_line_per_stage_is_redrawn_and_left_with_its_outcome():
    stream = Terminal()
    progress = Progress(quiet=False, stream=stream, announce_after=0)
    with progress.stage("jax-gd, first run") as report:
        report(100, 100, 0.5)
    with pytest.raises(KeyboardInterrupt), progress.stage("optax-adam, first run"):
        raise KeyboardInterrupt
    lines = stream.getvalue().split("\n")
    assert lines[0].startswith("\r\033[Kjax-gd, first run…\r\033[Kjax-gd, first run  [####")
    assert "100/100 epochs  train MSE 0.5\r\033[Kjax-gd, first run: done in " in lines[0]
    assert lines[1] == "\r\033[Koptax-adam, first run…\r\033[Koptax-adam, first run: interrupted"


def test_quiet_prints_nothing():
    stream = Terminal()
    with Progress(quiet=True, stream=stream).stage("fit") as report:
        assert report is None
    assert stream.getvalue() == ""


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()], ids=["pipe", "terminal"])
def test_a_stage_that_fails_at_once_prints_nothing(stream):
    with pytest.raises(ValueError, match="column 'x' is constant"):
        with Progress(quiet=False, stream=stream).stage("fit y from x"):
            raise ValueError("column 'x' is constant")
    assert stream.getvalue() == ""


def test_a_stage_shows_itself_after_a_while_and_then_ends_its_line_on_failure():
    stream = Terminal()
    with pytest.raises(RuntimeError, match="nothing was learned"):
        with Progress(quiet=False, stream=stream, announce_after=0.05).stage("fit"):
            time.sleep(0.3)
            assert stream.getvalue() == "\r\033[Kfit…"
            raise RuntimeError("nothing was learned")
    assert stream.getvalue() == "\r\033[Kfit…\r\033[Kfit: failed\n"


def test_a_quick_stage_that_succeeds_still_says_so():
    stream = io.StringIO()
    with Progress(quiet=False, stream=stream).stage("fit"):
        pass
    lines = stream.getvalue().splitlines()
    assert lines[0] == "fit: started" and lines[1].startswith("fit: done in 0.")


def test_an_interrupted_stage_says_where_it_stopped_however_soon():
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt), Progress(quiet=False, stream=stream).stage("fit"):
        raise KeyboardInterrupt
    assert stream.getvalue().splitlines() == ["fit: started", "fit: interrupted"]
