"""Standard output for the console script, where a failed write ends the command cleanly.

A reader that left (``nnreg predict ... | head``) raises BrokenPipeError, which ends the
command quietly with exit code 1, as the tools that SIGPIPE kills end; any other failure
(``> /dev/full``: no space left) raises StandardOutputError, reported in one line with exit
code 1. Either way standard output then goes to the null device, so that what is still
buffered for it cannot fail again when the interpreter flushes it at exit.
"""

import contextlib
import os


class StandardOutputError(OSError):
    """Standard output could not be written; ``strerror`` says so, and why."""


class CheckedStream:
    """``stream`` (``sys.stdout``), whose write and flush fail as described above."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        with self._checked():
            return self._stream.write(text)

    def flush(self):
        with self._checked():
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)

    @contextlib.contextmanager
    def _checked(self):
        try:
            yield
        except BrokenPipeError:
            self._to_null_device()
            raise
        except OSError as err:
            self._to_null_device()
            reason = err.strerror or str(err)
            raise StandardOutputError(
                err.errno, f"cannot write to standard output: {reason}"
            ) from None

    def _to_null_device(self):
        null = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):  # a stream without a descriptor
            os.dup2(null, self._stream.fileno())
        os.close(null)
