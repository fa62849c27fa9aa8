"""The engine compiles each training program on another thread, so Ctrl-C during XLA's
compilation (a second or more, with no Python signal handler running) need not wait."""

import threading

import pytest

from nnreg.core import _interrupt_safety


class SlowLowered:
    """Stands for jax's Lowered: its compile() runs until the test releases it."""

    def __init__(self):
        self.release = threading.Event()
        self.compiled = threading.Event()

    def compile(self):
        self.release.wait(60)
        self.compiled.set()


def test_ctrl_c_while_compiling_is_raised_without_waiting_for_the_compiler():
    lowered = SlowLowered()
    interrupted = threading.Event()
    threading.Timer(0.05, interrupted.set).start()
    with pytest.raises(KeyboardInterrupt):
        _interrupt_safety.compile_interruptibly(lambda: lowered, interrupted.is_set)
    compilers = [t for t in threading.enumerate() if t.name == "nnreg-compile"]
    assert compilers and not lowered.compiled.is_set()  # still compiling: not waited for
    assert not compilers[0].daemon  # a normal exit waits for it instead of tearing XLA down
    lowered.release.set()
    compilers[0].join(60)
    assert lowered.compiled.is_set()


def test_a_compilation_finishes_before_training_starts():
    lowered = SlowLowered()
    threading.Timer(0.05, lowered.release.set).start()
    _interrupt_safety.compile_interruptibly(lambda: lowered, lambda: False)
    assert lowered.compiled.is_set()


def test_a_compilation_error_is_raised_on_the_callers_thread():
    class FailingLowered:
        def compile(self):
            raise ValueError("XLA rejected the program")

    with pytest.raises(ValueError, match="XLA rejected the program"):
        _interrupt_safety.compile_interruptibly(FailingLowered, lambda: False)
