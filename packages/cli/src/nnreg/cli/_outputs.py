"""Where results go: checked before any training starts, written whole or not at all."""

import os
import sys
import tempfile
from pathlib import Path

from nnreg.core._atomic import write_atomically

from ._args import CommandError


def prepare_out_dir(path):
    """Create ``path`` if needed and prove it writable now, not after minutes of training."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise CommandError(f"cannot write to --out {path}: {err.strerror or err}") from None
    return out


def check_output_path(path, flag):
    """Fail now, before any work, if ``path`` cannot be written: no folder, or a folder.

    ``None`` (not asked for) and ``-`` (standard output) always pass.
    """
    if path is None or path == "-":
        return
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"cannot write {flag} {path}: folder {target.parent} does not exist")
    if target.is_dir():
        raise CommandError(f"cannot write {flag} {path}: it is a folder")
    if not os.access(target.parent, os.W_OK):
        raise CommandError(f"cannot write {flag} {path}: folder {target.parent} is not writable")


def write_text(path, text):
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        write_atomically(path, lambda file: file.write(text.encode()))
    except OSError as err:
        raise CommandError(f"cannot write {path}: {err.strerror or err}") from None
