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

The console script goes further (``leave_at_once_from_now``): Python runs signal handlers only
between bytecodes of the main thread, which an import, XLA's compilation or a chunk of training
can hold for seconds. A watcher thread wakes on the signal itself (``signal.set_wakeup_fd``)
and ends the process on the spot with exit code 130, without the interpreter's shutdown, so
nothing can crash on the way out. Only while outputs are being written (``writing()``) does it
leave the interrupt to the checkpoints, so that no half-written output remains. SIGTERM (``kill``,
``timeout``) is taken the same way there, with exit code 143: by default it ended the process
with staged outputs left behind.
"""

import contextlib
import os
import signal
import sys
import threading

from ._errors import EXIT_INTERRUPTED, EXIT_TERMINATED

_received = threading.Event()  # a SIGINT is recorded and not yet raised
_holding = threading.Event()  # a command holds interrupts in this process
_leaving_at_once = threading.Event()  # the console script's watcher ends the process
_writing_lock = threading.Lock()  # the watcher decides under it; writing() counts under it
_writing_depth = 0  # outputs being written: the watcher records instead of leaving
_label = "nnreg"  # names the command in the message
_stopped_by = signal.SIGINT  # the signal that _received records
# What each signal the console script takes means: (exit code, the word in its message)
_OUTCOMES = {
    signal.SIGINT: (EXIT_INTERRUPTED, "interrupted"),
    signal.SIGTERM: (EXIT_TERMINATED, "terminated"),
}


def _record(signum, frame):
    if not _leaving_at_once.is_set():  # else the watcher has decided what to do
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


def leave_at_once_from_now():
    """For the console script, before ``main`` runs: from now on Ctrl-C ends the process at
    once with exit code 130, except while outputs are written (then it is raised after)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in _OUTCOMES:  # Python handlers: the C one writes the wake-up byte
        signal.signal(signum, _record)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    _leaving_at_once.set()
    watcher = threading.Thread(target=_watch, args=(wake_read,), name="nnreg-ctrl-c", daemon=True)
    watcher.start()


def decided():
    """The console script's exit code is decided: a later Ctrl-C is ignored. (Recorded only,
    one during the interpreter's shutdown, after Python has put back the default handling,
    ended the process by the signal.)"""
    global _writing_depth
    with _writing_lock:
        _writing_depth += 1
    if threading.current_thread() is threading.main_thread():
        for signum in _OUTCOMES:
            signal.signal(signum, signal.SIG_IGN)


@contextlib.contextmanager
def writing():
    """Outputs are being written: Ctrl-C waits for the next checkpoint instead of leaving."""
    global _writing_depth
    with _writing_lock:
        _writing_depth += 1
    try:
        yield
    finally:
        with _writing_lock:
            _writing_depth -= 1


def _watch(wake_read):
    global _stopped_by
    while True:
        woken_by = os.read(wake_read, 64)  # the numbers of the signals caught, in order
        signums = [signum for signum in woken_by if signum in _OUTCOMES]
        if not signums:
            continue
        with _writing_lock:  # held to the end: writing() cannot begin while the process ends
            if _writing_depth:
                _stopped_by = signums[-1]
                _received.set()
                continue
            exit_code, word = _OUTCOMES[signums[-1]]
            with contextlib.suppress(OSError, ValueError):  # no usable stderr
                # On a terminal the progress line is still open.
                newline = "\n" if sys.stderr.isatty() else ""
                os.write(sys.stderr.fileno(), f"{newline}{_label}: {word}\n".encode())
            os._exit(exit_code)


def outcome():
    """``(exit code, word)`` for the KeyboardInterrupt just raised: 130 "interrupted" for
    Ctrl-C, 143 "terminated" for a SIGTERM that the console script's watcher recorded."""
    return _OUTCOMES[_stopped_by]


@contextlib.contextmanager
def held(label="nnreg"):
    """Hold interrupts for a whole command; restore the previous handlers afterwards.

    ``label`` names the command in the console script's message. Outside the main thread
    (where no handler can be installed) nothing changes.
    """
    global _label, _stopped_by
    _label = label
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
        _stopped_by = signal.SIGINT


def checkpoint():
    """Raise KeyboardInterrupt if Ctrl-C was pressed while interrupts were held."""
    if _received.is_set():
        _received.clear()
        raise KeyboardInterrupt


@contextlib.contextmanager
def raised_during():
    """Run the block with Ctrl-C raised at once (and held by nnreg.core between chunks); under
    the console script's watcher, the process ends instead."""
    checkpoint()
    if not _holding.is_set() or _leaving_at_once.is_set():
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, _record)
    checkpoint()
