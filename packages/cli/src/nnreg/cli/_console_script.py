"""The ``nnreg`` console script: Ctrl-C handling first, then the commands.

It imports nothing but the interrupt handling before ``leave_at_once_from_now``: a Ctrl-C
while the command modules load (a slow start on a busy machine) would otherwise end the
process by the signal, with a traceback.
"""

import contextlib
import os
import sys

from . import _interrupts
from ._errors import EXIT_FAILED, EXIT_INTERRUPTED


def script():
    """``nnreg.cli.main``, with Ctrl-C ending the process from its first line
    (``_interrupts.leave_at_once_from_now``), except while outputs are written.

    A closed standard output (the reader of a pipe left) ends the command quietly.
    A Ctrl-C after ``main`` has returned is recorded and ignored: the exit code is decided.
    An interrupted command leaves without the interpreter's shutdown: that takes a quarter
    of a second with jax loaded, and XLA may still be compiling on another thread (nnreg.core
    does not wait for it); by then every output has been removed.
    """
    _interrupts.leave_at_once_from_now()
    from ._entry_point import main

    try:
        try:
            exit_code = main()  # --help and --version leave by SystemExit
        finally:
            if sys.stdout is not None:  # None: started without a standard output
                sys.stdout.flush()  # what print left buffered for a pipe whose reader left
    except BrokenPipeError:
        exit_code = _reader_gone()
    _interrupts.decided()
    if exit_code == EXIT_INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
                stream.flush()
        os._exit(exit_code)
    return exit_code


def _reader_gone():
    """The end of a command whose standard output's reader left (``nnreg predict ... |
    head``): quiet, as the tools killed by SIGPIPE are, with exit code 1, the output being
    incomplete. Standard output goes to the null device, so that the interpreter's last
    flush of what is still buffered for the closed pipe cannot print an error of its own."""
    if sys.stdout is not None:
        null = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):  # a closed stream
            os.dup2(null, sys.stdout.fileno())
        os.close(null)
    return EXIT_FAILED
