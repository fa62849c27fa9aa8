"""``.npz`` members read from untrusted bytes: each ``.npy`` header checked before its data.

np.load trusts the file: it allocates what a header claims, decompresses whole members
and raises whatever its parsers raise. ``NpzReader`` reads only the members asked for, checks
dtype kind, shape and size against the caller's expectation and a byte budget first, and
turns every parse failure into ``Refused``, whose text says what is wrong.
"""

import io
import math
import struct
import warnings
import zipfile
import zlib

import numpy as np

# What one file may make nnreg read: its arrays together (256 MiB, 64 million float32
# parameters; the lecture's network has 261) and the file itself, held whole in memory.
MAX_ARRAY_BYTES = 1 << 28
MAX_FILE_BYTES = MAX_ARRAY_BYTES + (1 << 20)
# numpy writes headers of at most 10,000 characters (its max_header_size), after a 12-byte
# prefix; anything beyond that in a member is data.
_HEADER_BYTES = 10_000 + 12
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
# What zipfile, zlib and numpy's header parser raise for malformed input.
_MALFORMED = (
    ValueError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    NotImplementedError,
    RuntimeError,  # an encrypted member; a header nested too deeply to parse
    OverflowError,
    MemoryError,
    KeyError,
    TypeError,
    UserWarning,  # numpy's header parser warns of Python 2 headers; nnreg never wrote one
)
_KINDS = {"f": "real floats", "iu": "integers", "U": "text"}


class Refused(Exception):
    """What is wrong with the file, for a message that names it."""


class WrongShape(Refused):
    pass


class NpzReader:
    """The members of an ``.npz`` held in memory, each read only once its header passed."""

    def __init__(self, data):
        self._budget = MAX_ARRAY_BYTES
        try:
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise Refused("not an .npz archive")
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except _MALFORMED as err:
            raise Refused(f"not a readable .npz archive: {str(err)[:200]}") from None

    def holds(self, name):
        """Whether the archive has a member ``name``."""
        try:
            self._zip.getinfo(f"{name}.npy")
        except KeyError:
            return False
        return True

    def text(self, name):
        """A single string."""
        return self.texts(name, ())[0]

    def texts(self, name, shape):
        raw = self.array(name, "U", shape)
        # numpy turns code points past U+10FFFF into broken str objects, and surrogates
        # cannot be printed: both are checked on the raw UCS-4 codes.
        codes = np.frombuffer(raw.tobytes(), raw.dtype.byteorder + "u4")
        if not ((codes < 0xD800) | ((codes > 0xDFFF) & (codes < 0x110000))).all():
            raise Refused(f"{name!r} holds characters that are not text")
        return [str(text) for text in raw.reshape(-1)]

    def finite(self, name, dtype, shape):
        """Real floats converted to ``dtype``, every one finite after the conversion."""
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf: refused below
            values = self.array(name, "f", shape).astype(dtype)
        if not np.isfinite(values).all():
            raise Refused(f"{name!r} holds a value that is not a finite number")
        return values

    def array(self, name, kinds, shape):
        """Member ``name``: dtype kind in ``kinds``, ``shape`` a tuple of sizes, each an int or
        a ``range`` of the sizes allowed."""
        try:
            return self._read(name, kinds, shape)
        except Refused:
            raise
        except _MALFORMED as err:
            raise Refused(f"{name!r} cannot be read: {str(err)[:200]}") from None

    def _read(self, name, kinds, shape):
        try:
            info = self._zip.getinfo(f"{name}.npy")
        except KeyError:
            raise Refused(f"{name!r} is missing") from None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(f"{name!r} is compressed in a way numpy never writes")
        with self._zip.open(info) as member:
            head = io.BytesIO(member.read(_HEADER_BYTES))
            version = np.lib.format.read_magic(head)
            if version not in _HEADER_READERS:
                raise Refused(f"{name!r} has .npy format version {version}")
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                found, fortran_order, dtype = _HEADER_READERS[version](head)
            _check_header(name, found, dtype, kinds, shape)
            size = math.prod(found) * dtype.itemsize
            if size > self._budget:
                raise Refused(
                    f"{name!r} holds {size} bytes, beyond the {MAX_ARRAY_BYTES} bytes of "
                    "arrays nnreg reads from one file"
                )
            if info.file_size != head.tell() + size:
                raise Refused(
                    f"{name!r} has {info.file_size - head.tell()} bytes of data, not the "
                    f"{size} its header says"
                )
            self._budget -= size
            data = head.read()
            data += member.read(size - len(data))
            # Reading past the end makes zipfile check the member's CRC.
            if len(data) != size or member.read(1):
                raise Refused(f"{name!r} does not hold the {size} bytes its header says")
        return np.ndarray(found, dtype, buffer=data, order="F" if fortran_order else "C")


def _check_header(name, found, dtype, kinds, shape):
    if dtype.kind not in kinds or dtype.hasobject or dtype.names or dtype.subdtype:
        raise Refused(f"{name!r} holds {dtype} values, not {_KINDS[kinds]}")
    if len(found) != len(shape) or any(
        got not in want if isinstance(want, range) else got != want
        for got, want in zip(found, shape, strict=True)
    ):
        wanted = ", ".join(
            f"{want.start} to {want.stop - 1}" if isinstance(want, range) else str(want)
            for want in shape
        )
        raise WrongShape(f"{name!r} has shape {found}, not ({wanted})")
