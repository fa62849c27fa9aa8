"""The console script's standard streams, which no failure to write turns into a traceback.

Standard output carries results. A reader that left (``nnreg predict ... | head``) raises
BrokenPipeError, which ends the command quietly with exit code 1, as the tools that SIGPIPE
kills end; any other failure (``> /dev/full``: no space left; ``>&-``: closed) raises
StandardOutputError, reported in one line with exit code 1. Standard output then goes to the
null device, so that what is still buffered for it cannot fail again at exit.

Standard error carries progress and messages: they are written while they can be, and a
failure (``2> /dev/full``, ``2>&-``) sends the rest to the null device instead of ending a
command that can still do its work.
"""

import contextlib
import errno
import os
import sys


def install():
    """Standard output and error as described above, for the console script before anything
    writes. A stream the process started without (``>&-``, ``2>&-``; Python's is None) gets
    its descriptor filled with the null device, so that no file opened later (the Ctrl-C
    watcher's wake-up pipe) takes its place and receives what XLA writes there."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            _null_device_onto(descriptor)
    sys.stdout = ClosedStream() if sys.stdout is None else CheckedStream(sys.stdout)
    sys.stderr = BestEffortStream(sys.stderr or open(os.devnull, "w"))


class StandardOutputError(OSError):
    """Standard output could not be written; ``strerror`` says so, and why."""


class CheckedStream:
    """``stream`` (``sys.stdout``), whose write and flush fail as described above."""

    def __init__(self, stream):
        self._stream = stream
        self._unreported = None  # a failure that whoever wrote may have swallowed

    def write(self, text):
        with self._checked():
            return self._stream.write(text)

    def flush(self):
        _raise_unreported(self)
        with self._checked():
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)

    @contextlib.contextmanager
    def _checked(self):
        try:
            yield
        except BrokenPipeError as err:
            _to_null_device(self._stream)
            self._unreported = err
            raise
        except OSError as err:
            _to_null_device(self._stream)
            reason = err.strerror or str(err)
            self._unreported = StandardOutputError(
                err.errno, f"cannot write to standard output: {reason}"
            )
            raise self._unreported from None


class ClosedStream:
    """Standard output of a process started without one (``>&-``)."""

    def __init__(self):
        self._unreported = None

    def write(self, text):
        message = "cannot write to standard output: it is closed"
        self._unreported = StandardOutputError(errno.EBADF, message)
        raise self._unreported

    def flush(self):
        _raise_unreported(self)

    def isatty(self):
        return False


class BestEffortStream:
    """``stream`` (``sys.stderr``), written while it can be, then the null device."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError:
            _to_null_device(self._stream)
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except OSError:
            _to_null_device(self._stream)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _raise_unreported(stream):
    """Raise, once, a failure to write that the writer swallowed (argparse printing --help
    ignores an OSError): the command must not end with exit code 0 having written nothing."""
    failure, stream._unreported = stream._unreported, None
    if failure is not None:
        raise failure


def _to_null_device(stream):
    with contextlib.suppress(OSError, ValueError):  # a stream without a descriptor
        _null_device_onto(stream.fileno())


def _null_device_onto(descriptor):
    null = os.open(os.devnull, os.O_RDWR)
    if null != descriptor:  # else it took the closed descriptor's place itself
        try:
            os.dup2(null, descriptor)
        finally:
            os.close(null)
