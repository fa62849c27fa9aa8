"""The output files of one command, which appear together or not at all.

Each output is first written whole, as a regular file of its own name, into a hidden staging
folder beside its target (``.nnreg-….tmp``). Only ``commit()`` puts them in place: first the
outputs that are written through rather than replaced (standard output, ``/dev/null``, a
FIFO, ``/dev/stdout``: these may fail, ``/dev/full`` for one), then one rename per regular file
(a rename in the same folder needs no space). Any failure before the renames removes every
staging folder and leaves existing files untouched.

A symbolic link to a regular file stays a link: its target is replaced, as
``nnreg.core.write_atomically`` does.
"""

import errno
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from nnreg.core import write_atomically, writes_through

from . import _interrupts
from ._errors import RunFailed
from ._standard_streams import StandardOutputError


class OutputsTogether:
    def __init__(self):
        self._staging = {}  # folder -> its staging folder
        self._extra_staging = []  # staging folders of written-through outputs
        self._renames = []  # (staged file, target)
        self._through = []  # (staged file, target): "-" or a file written through

    def __enter__(self):
        self._writing = _interrupts.writing()  # the console script's Ctrl-C waits for the end
        self._writing.__enter__()
        return self

    def __exit__(self, kind, error, traceback):
        try:
            if error is None:
                try:
                    self.commit()
                except BaseException:  # Ctrl-C while waiting for a FIFO's reader, say
                    self.discard()
                    raise
            else:
                self.discard()
        finally:
            self._writing.__exit__(None, None, None)

    def write(self, target, write, *, flag=None):
        """Call ``write(path)`` to make ``target``'s whole file at ``path`` now; it appears at
        ``target`` on ``commit()``. An OSError is reported naming ``flag`` and ``target``."""
        staged = self._staged_path(target)
        try:
            write(staged)
        except OSError as err:
            self.discard()
            name = f"{flag} {target}" if flag else str(target)
            raise RunFailed(f"cannot write {name}: {err.strerror or err}") from None

    def stage(self, target, data: bytes, *, flag=None):
        """``data`` as ``target``'s contents, to appear on ``commit()``."""
        self.write(target, lambda path: _write_new_file(path, data), flag=flag)

    def discard(self):
        """Remove every staged file and staging folder: nothing appears."""
        for folder in [*self._staging.values(), *self._extra_staging]:
            shutil.rmtree(folder, ignore_errors=True)
        self._staging.clear()
        self._extra_staging.clear()
        self._renames.clear()
        self._through.clear()

    def commit(self):
        try:
            for staged, target in self._through:
                data = staged.read_bytes()
                if str(target) == "-":
                    sys.stdout.write(data.decode())
                    sys.stdout.flush()
                else:
                    write_output(target, lambda file, data=data: file.write(data))
        except OSError as err:
            self.discard()
            if isinstance(err, (BrokenPipeError, StandardOutputError)) and str(target) == "-":
                raise  # main reports standard output's own failures (a closed pipe quietly)
            raise RunFailed(f"cannot write {target}: {err.strerror or err}") from None
        try:
            for staged, target in self._renames:
                os.replace(staged, target)
        except OSError as err:  # the target turned into a folder meanwhile, say
            self.discard()
            raise RunFailed(f"cannot write {target}: {err.strerror or err}") from None
        self.discard()  # only empty staging folders are left

    def _staged_path(self, target):
        if str(target) == "-" or writes_through(target):
            # Its folder (/dev) may not be writable: stage it in the system's temporary folder.
            folder = Path(tempfile.mkdtemp(prefix="nnreg-", suffix=".tmp"))
            self._extra_staging.append(folder)
            staged = folder / ("stdout" if str(target) == "-" else Path(target).name)
            self._through.append((staged, target))
            return staged
        resolved = Path(os.path.realpath(target))
        folder = self._staging.get(resolved.parent)
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix=".nnreg-", suffix=".tmp", dir=resolved.parent))
            self._staging[resolved.parent] = folder
        staged = folder / resolved.name
        self._renames.append((staged, resolved))
        return staged


def _write_new_file(path, data):
    with open(path, "xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def write_output(path, write):
    """Call ``write(binary_file)`` for the file at ``path``, as ``write_atomically`` does,
    except that a FIFO is written once a process reads it, waiting interruptibly."""
    if _is_fifo(path):
        _write_to_fifo(path, write)
    else:
        write_atomically(path, write)


def _is_fifo(path):
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


def _write_to_fifo(path, write):
    """Opened without waiting, again and again: a blocking open waits for a reader where no
    signal reaches Python, and Ctrl-C could not stop a command whose FIFO nobody reads; here
    it ends it (KeyboardInterrupt) at the next try."""
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as err:
            if err.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        _interrupts.checkpoint()
        time.sleep(FIFO_RETRY_SECONDS)
    try:
        os.set_blocking(fd, True)
        file = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
    with file:
        write(file)


FIFO_RETRY_SECONDS = 0.05
