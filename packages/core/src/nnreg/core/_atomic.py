"""Files that appear whole or not at all."""

import os
import secrets
from pathlib import Path


def write_atomically(path, write):
    """Call ``write(file)`` on a new file beside ``path``, sync it, then rename it to ``path``.

    On any failure the temporary file is removed and an existing ``path`` is untouched.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open applies the umask, so the result gets the permissions of any new file
    # (tempfile.mkstemp would make it private to the user).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
