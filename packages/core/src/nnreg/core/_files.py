"""Files that appear whole or not at all: the writer behind model files, reports and plots."""

import errno
import os
import secrets
import stat
from pathlib import Path

# The kernel follows at most this many symbolic links when it resolves a path.
_MAX_LINKS = 40


def write_atomically(path, write):
    """Call ``write(file)`` with a binary file that ends up as ``path``, whole or not at all.

    - A regular file, or a name not taken yet, is written as a new file beside it, synced and
      renamed over it: no reader ever sees part of it, and on any failure the new file is
      removed and an existing ``path`` is left untouched.
    - A symbolic link to a regular file stays a link: its target is replaced that way.
    - Anything else that exists is written through, never replaced: a character device
      (``/dev/null``, ``/dev/full``, a terminal), a FIFO, ``/dev/stdout`` or ``/dev/fd/N``
      (even when the process's output is redirected to a file: it is appended to), and links
      to them. Such writes cannot be atomic; their errors, such as ``ENOSPC`` from
      ``/dev/full``, are raised as ``OSError``. A FIFO blocks until a reader opens it.
    - A folder is refused with ``IsADirectoryError``.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:  # a new file, or a link to one
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
    if writes_through(path):
        _write_through(path, write)
    else:
        _replace(Path(os.path.realpath(path)), write)


def writes_through(path):
    """Whether ``write_atomically`` writes ``path`` through instead of replacing it: it exists
    and is not a regular file, or it names a file this process holds open (``/dev/stdout``,
    ``/dev/fd/N``, which resolve through ``/proc``)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) or _names_an_open_file(path)


def _replace(path, write):
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask, so the result gets the permissions of any new file
    # (tempfile.mkstemp would make it private to the user).
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:  # named after the file asked for, not the temporary
        raise type(err)(err.errno, err.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_through(path, write):
    # No O_CREAT: the file exists. O_APPEND: output redirected to a file (> or >>) may hold
    # what the process printed before; devices and pipes ignore it. No fsync: devices and
    # pipes refuse it.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "wb") as file:
        write(file)


def _names_an_open_file(path):
    """Whether resolving ``path`` passes through ``/proc``, as ``/dev/stdout`` and ``/dev/fd/1``
    do: the link there names a file the process holds open, not a place to put a new file."""
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        folder = os.path.realpath(os.path.dirname(current))
        if folder == "/proc" or folder.startswith("/proc/"):
            return True
        current = os.path.join(folder, os.path.basename(current))
        if not os.path.islink(current):
            return False
        current = os.path.join(folder, os.readlink(current))
    return False
