"""The ``nnreg`` console script: Ctrl-C handling first, then the commands.

It imports nothing but the interrupt handling and the standard streams (the standard
library alone) before ``leave_at_once_from_now``: a Ctrl-C
while the command modules load (a slow start on a busy machine) would otherwise end the
process by the signal, with a traceback.
"""

import contextlib
import os
import sys

from . import _interrupts, _standard_streams
from ._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED
from ._standard_streams import StandardOutputError


def script():
    """``nnreg.cli.main``, with Ctrl-C ending the process from its first line
    (``_interrupts.leave_at_once_from_now``), except while outputs are written.

    Standard output and error are the ones of ``_standard_streams``: a pipe whose reader left
    ends the command quietly, any other failure to write results with one line, exit code 1
    either way; progress and messages that cannot be written are dropped.
    A Ctrl-C or SIGTERM after ``main`` has returned is ignored: the exit code is decided.
    An interrupted command leaves without the interpreter's shutdown: that takes a quarter
    of a second with jax loaded, and XLA may still be compiling on another thread (nnreg.core
    does not wait for it); by then every output has been removed.
    """
    _standard_streams.install()  # before the watcher starts, which writes to standard error
    _interrupts.leave_at_once_from_now()
    from ._entry_point import main

    try:
        exit_code = main()
    except SystemExit as exit_:  # --help, --version and usage errors leave through argparse
        exit_code = exit_.code
    try:
        sys.stdout.flush()  # what print left buffered, or a failure the writer swallowed
    except (BrokenPipeError, StandardOutputError) as err:
        if not exit_code:  # else the command has failed, and said so, already
            if isinstance(err, StandardOutputError):
                print(f"nnreg: error: {err.strerror}", file=sys.stderr)
            exit_code = EXIT_FAILED
    _interrupts.decided()
    if exit_code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
                stream.flush()
        os._exit(exit_code)
    return exit_code
