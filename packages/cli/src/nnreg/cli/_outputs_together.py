"""Several output files of one command that appear together or not at all.

Each regular file is first written in full to a temporary beside its target; only when the
command's last fallible step has succeeded are they renamed into place (a rename needs no
space and cannot half-fail). Standard output and special files (``/dev/null``, FIFOs) cannot
be staged, so they are written at that point, after everything else has succeeded.
"""

import os
import secrets
import sys
from pathlib import Path

from ._errors import RunFailed
from ._report import write_file


class OutputsTogether:
    def __init__(self):
        self._staged = []  # (temporary, target)
        self._direct = []  # (path, data): "-" or a special file, written by commit()

    def stage(self, path, data: bytes):
        """Write ``data`` for ``path`` now, to appear there at ``commit()``."""
        target = Path(path)
        if str(path) == "-" or (target.exists() and not target.is_file()):
            self._direct.append((path, data))
            return
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            with open(temporary, "xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        except OSError as err:
            temporary.unlink(missing_ok=True)
            self.discard()
            raise RunFailed(f"cannot write {path}: {err.strerror or err}") from None
        self._staged.append((temporary, target))

    def discard(self):
        """Remove every staged temporary: nothing appears."""
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()

    def commit(self):
        for temporary, target in self._staged:
            os.replace(temporary, target)
        self._staged.clear()
        for path, data in self._direct:
            if str(path) == "-":
                sys.stdout.write(data.decode())
                sys.stdout.flush()
            else:
                write_file(path, lambda file, data=data: file.write(data))
