"""Where results go and how they read: plain tables, JSON documents and the results folder.

Every destination is checked before training starts, yet nothing is created until the
results exist, so a failed or interrupted run leaves no empty folder behind. Files are
written whole or not at all.
"""

import contextlib
import json
import os
import sys
from pathlib import Path

from nnreg.core import writes_through

from . import _interrupts
from ._errors import InputError, RunFailed
from ._outputs_together import OutputsTogether, write_output


def format_table(header, rows):
    """Lines of ``header`` and ``rows`` (tuples of strings); columns fit their widest cell."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line("-" * w for w in widths), *(line(row) for row in rows)]


def check_out_dir(path, flag="--out"):
    """Fail now if folder ``path`` could not be created or written into; create nothing."""
    target = Path(path)
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == target and not target.is_dir():
        raise InputError(f"cannot write to {flag} {path}: it is a file")
    if not existing.is_dir():
        raise InputError(f"cannot write to {flag} {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to {flag} {path}: {existing} is not writable")


def check_output_path(path, flag):
    """Fail now, before any work, if file ``path`` cannot be written: no folder, or a folder.

    ``None`` (not asked for) and ``-`` (standard output) always pass. An existing special
    file (``/dev/null``, a FIFO) is written through, so it is its own permission that counts,
    not its folder's.
    """
    if path is None or path == "-":
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(f"cannot write {flag} {path}: folder {target.parent} does not exist")
    if target.is_dir():
        raise InputError(f"cannot write {flag} {path}: it is a folder")
    if writes_through(target):  # a special file, or /dev/stdout redirected to a file
        if not os.access(target, os.W_OK):
            raise InputError(f"cannot write {flag} {path}: it is not writable")
        return
    # A symbolic link stays one: the file it names is written, in that file's folder.
    folder = Path(os.path.realpath(target)).parent
    if not folder.is_dir():
        raise InputError(
            f"cannot write {flag} {path}: it links into folder {folder}, which does not exist"
        )
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write {flag} {path}: folder {folder} is not writable")


def to_standard_output(path):
    """Whether output ``path`` lands in this process's standard output: ``-``, or a name for
    the file it goes to (``/dev/stdout``, ``/dev/fd/1``, the file it is redirected to), which
    a command's messages must then leave alone. Not when that is the null device."""
    if path is None:
        return False
    if str(path) == "-":
        return True
    try:
        here, there = os.fstat(1), os.stat(path)
    except OSError:  # no such file yet
        return False
    return os.path.samestat(here, there) and not os.path.samestat(here, os.stat(os.devnull))


def check_distinct_files(inputs, outputs):
    """Fail now if an output would replace an input, or two outputs the same file.

    ``inputs`` and ``outputs`` are ``(flag, path)`` pairs, paths None skipped. Files are
    compared as the filesystem sees them (symbolic and hard links included); special files
    such as ``/dev/null`` may be named more than once, but only one output may go to
    standard output (``-``, ``/dev/stdout``, ...): two would be mixed into one stream.
    """
    to_stdout = [(flag, path) for flag, path in outputs if to_standard_output(path)]
    if len(to_stdout) > 1:
        (flag, path), (other_flag, other) = to_stdout[:2]
        raise InputError(
            f"{flag} {path} and {other_flag} {other} both go to standard output: "
            "at most one output can"
        )
    seen = [(flag, path) for flag, path in inputs if path not in (None, "-")]
    for flag, path in outputs:
        if path in (None, "-"):
            continue
        for other_flag, other in seen:
            if _same_regular_file(path, other):
                role = "an input" if (other_flag, other) in inputs else "another output"
                raise InputError(
                    f"{flag} {path} is the same file as {other_flag} {other}: "
                    f"an output must not replace {role}"
                )
        seen.append((flag, path))


def _same_regular_file(a, b):
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return a.is_file() and os.path.samefile(a, b)
    # Not written yet: the same name in the same folder.
    return a.parent.resolve() / a.name == b.parent.resolve() / b.name


def write_text(path, text):
    """``text`` to file ``path`` atomically, or to standard output for ``-``."""
    if str(path) == "-":
        with _interrupts.writing():
            sys.stdout.write(text)
            sys.stdout.flush()
        return
    write_file(path, lambda file: file.write(text.encode()))


def write_file(path, write):
    """Call ``write(binary_file)`` for a file that appears at ``path`` whole or not at all."""
    try:
        with _interrupts.writing():  # the console script's Ctrl-C leaves no temporary behind
            write_output(path, write)
    except OSError as err:
        raise RunFailed(f"cannot write {path}: {err.strerror or err}") from None


def json_text(document):
    return json.dumps(document, indent=2) + "\n"


class ResultsFolder:
    """The ``--out`` folder and ``--json`` destination of compare and sweep.

    ``names`` are the files the command may put in the folder. They and the JSON are written
    inside ``writing()`` and appear together when it ends, or not at all; a folder created
    for them is removed again if nothing appears. With ``--json -`` standard output carries
    the JSON alone and the tables move to stderr (so with ``--json /dev/stdout``).
    """

    def __init__(self, out, json_path, names):
        check_out_dir(out)
        check_output_path(json_path, "--json")
        self.out = Path(out)
        in_folder = [("--out", self.out / name) for name in names]
        check_distinct_files([], [*in_folder, ("--json", json_path)])
        self.json_path = json_path
        self.table_stream = sys.stderr if to_standard_output(json_path) else sys.stdout
        self._outputs = None

    @contextlib.contextmanager
    def writing(self):
        with _interrupts.writing():
            created = _create_folder(self.out)
            try:
                with OutputsTogether() as self._outputs:
                    yield self
            except BaseException:
                for folder in created:  # deepest first; left alone if something else is inside
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                raise
            finally:
                self._outputs = None

    def write_json(self, name, document):
        data = json_text(document).encode()
        self._outputs.stage(self.out / name, data, flag="--out")
        if self.json_path:
            self._outputs.stage(self.json_path, data, flag="--json")

    def write_figure(self, name, figure):
        from ._figures import save_figure

        path = self.out / name
        self._outputs.write(path, lambda staged: save_figure(figure, staged), flag="--out")

    def say(self, text):
        print(text, file=self.table_stream)


def _create_folder(path):
    """Create folder ``path`` and its missing parents; return those created, deepest first."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except OSError as err:
            raise RunFailed(f"cannot write to --out {folder}: {err.strerror or err}") from None
    return missing
