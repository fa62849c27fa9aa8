"""Ctrl-C during a command: exit 130, never a crash, a traceback or a lost interrupt.

Python's own handler raises KeyboardInterrupt at whatever bytecode runs next. Real SIGINTs
sent to ``nnreg fit`` showed where that goes wrong:

- during a native module's initialisation (importing jax or numpy): the process aborts
  ("terminate called ... nanobind::python_error") or the import fails with a traceback;
- inside a gc callback (jax installs one): Python prints "Exception ignored" and drops the
  interrupt, so training runs on for good.

So a command runs with interrupts *held*: a SIGINT is recorded and raised as
KeyboardInterrupt at ``checkpoint()``, between steps. Blocks that should stop promptly run in
``raised_during()``, with Python's handler back: nnreg.core's engine holds interrupts between
training chunks only when it finds that handler. An interrupt that Python drops in a callback
is sent again once the callback has returned.
"""

import contextlib
import os
import signal
import sys
import threading

_received = threading.Event()  # a SIGINT is recorded and not yet raised
_holding = threading.Event()  # a command holds interrupts in this process


def _record(signum, frame):
    _received.set()


def _resend_dropped(previous_hook):
    def hook(unraisable):
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous_hook(unraisable)
            return
        # From another thread, so that it arrives after the callback, not inside this hook.
        resend = threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT))
        resend.daemon = True
        resend.start()

    return hook


def hold_from_now():
    """Record Ctrl-C from now on, for the console script before ``main`` runs."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _record)


@contextlib.contextmanager
def held():
    """Hold interrupts for a whole command; restore the previous handlers afterwards.

    Outside the main thread (where no handler can be installed) nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_handler = signal.signal(signal.SIGINT, _record)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _resend_dropped(previous_hook)
    _holding.set()
    try:
        yield
    finally:
        _holding.clear()
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGINT, previous_handler)
        _received.clear()


def checkpoint():
    """Raise KeyboardInterrupt if Ctrl-C was pressed while interrupts were held."""
    if _received.is_set():
        _received.clear()
        raise KeyboardInterrupt


@contextlib.contextmanager
def raised_during():
    """Run the block with Ctrl-C raised at once (and held by nnreg.core between chunks)."""
    checkpoint()
    if not _holding.is_set():
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, _record)
    checkpoint()
