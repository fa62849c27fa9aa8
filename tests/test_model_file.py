"""Model files from hostile hands: every problem a ValueError naming the file, nothing huge read.

The valid file is written by write_model_file from a hand-made ModelState: no training.
"""

import io
import re
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import nnreg.core as core
from nnreg.core import _model_file
from nnreg.core._model_file import ModelState, read_model_file, write_model_file

SIZES = (2, 3, 1)


def valid_state(sizes=SIZES):
    rng = np.random.default_rng(0)
    layers = zip(sizes[:-1], sizes[1:], strict=True)
    return ModelState(
        members=[
            [
                {"W": rng.normal(size=(i, o)).astype(np.float32), "b": np.full((1, o), 0.5, "f4")}
                for i, o in layers
            ]
        ],
        x_columns=tuple(f"x{i}" for i in range(sizes[0])),
        y_column="target",
        x_mean=rng.normal(size=sizes[0]),
        x_std=rng.uniform(0.5, 2.0, size=sizes[0]),
        y_mean=1.5,
        y_std=0.25,
    )


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, contents, methods=None):
    """An archive of ``contents``; ``methods`` maps names to a compression (default: none)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in contents.items():
            method = (methods or {}).get(name, zipfile.ZIP_STORED)
            archive.writestr(name, data, compress_type=method)
    return path


def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def npy_header(text, version=1):
    """An ``.npy`` prefix around a header written by hand (numpy would refuse to write it)."""
    length = "<H" if version == 1 else "<I"
    prefix = 6 + 2 + struct.calcsize(length)
    header = text.encode() + b" " * (-(prefix + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(length, len(header)) + header


def claim(shape, descr="'<f4'"):
    """A header for ``shape`` and ``descr`` (both as Python literals), and no data."""
    return npy_header(f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}")


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "model.npz"
    state = valid_state()
    write_model_file(path, state)
    return path, state


def damaged(path, message):
    return pytest.raises(
        ValueError, match=rf"^{re.escape(str(path))} is a damaged nnreg model file: {message}"
    )


def test_a_valid_file_reads_back_exactly(good):
    path, state = good
    got = read_model_file(path)
    assert (got.x_columns, got.y_column, got.layer_sizes) == (("x0", "x1"), "target", SIZES)
    for mine, theirs in zip(got.members[0], state.members[0], strict=True):
        np.testing.assert_array_equal(mine["W"], theirs["W"])
        assert mine["W"].dtype == mine["b"].dtype == np.float32
    np.testing.assert_array_equal(got.x_std, state.x_std)
    assert (got.y_mean, got.y_std) == (1.5, 0.25)


def test_load_model_predicts_with_what_the_file_holds(good):
    path, state = good
    x = np.array([[0.0, 1.0], [2.0, -1.0]])
    hidden = np.tanh((x - state.x_mean) / state.x_std @ state.members[0][0]["W"] + 0.5)
    expected = (hidden @ state.members[0][1]["W"] + 0.5)[:, 0] * 0.25 + 1.5
    np.testing.assert_allclose(core.load_model(path).predict(x), expected, rtol=1e-5)


def test_fortran_order_big_endian_and_float64_are_read_as_the_values_they_are(good):
    path, state = good
    contents = members(path)
    contents["W0.npy"] = npy(np.asfortranarray(state.members[0][0]["W"]).astype(">f4"))
    contents["W1.npy"] = npy(state.members[0][1]["W"].astype(np.float64))
    got = read_model_file(write_members(path, contents))
    np.testing.assert_array_equal(got.members[0][0]["W"], state.members[0][0]["W"])
    np.testing.assert_array_equal(got.members[0][1]["W"], state.members[0][1]["W"])


NOT_TEXT = np.frombuffer(np.array([0x41, 0x110000], "<u4").tobytes(), "<U1")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # Headers that claim what is not there are refused before anything is allocated.
        ("W0.npy", claim((100000, 100000)), r"layer 0 .* 'W0' has shape \(100000, 100000\), not"),
        ("W0.npy", claim((2, 3)) + bytes(4), "'W0' has 4 bytes of data, not the 24 its header"),
        ("W0.npy", npy(np.ones((2, 3), "f4")) + b"!", "'W0' has 25 bytes of data, not the 24"),
        ("W0.npy", claim((2, 3), "('<f4', (1000,))"), r"'W0' holds \('<f4', \(1000,\)\) values"),
        ("W0.npy", npy_header("{}", version=3), r"'W0' has .npy format version \(3, 0\)"),
        ("W0.npy", claim("(2L, 3L)"), "'W0' cannot be read: "),  # Python 2's ints
        ("W0.npy", b"raw bytes, not an array", "'W0' cannot be read: the magic string"),
        # Values of the wrong kind, or not finite.
        ("W0.npy", npy(np.full((2, 3), "1.5")), "'W0' holds <U3 values, not real floats"),
        ("W0.npy", npy(np.zeros((2, 3), "M8[s]")), r"'W0' holds datetime64\[s\] values"),
        ("W0.npy", npy(np.zeros((2, 3), "c8")), "'W0' holds complex64 values"),
        ("W0.npy", npy(np.zeros((2, 3), "i4")), "'W0' holds int32 values, not real floats"),
        ("W0.npy", npy(np.full((2, 3), None)), "'W0' holds object values"),
        ("W0.npy", npy(np.full((2, 3), np.nan, "f4")), "'W0' holds a value that is not a finite"),
        ("W0.npy", npy(np.full((2, 3), 1e39)), "'W0' holds a value that is not a finite"),
        ("b1.npy", npy(np.full((1, 1), -np.inf, "f4")), "'b1' holds a value that is not a finite"),
        ("x_mean.npy", npy(np.array([0.0, np.inf])), "'x_mean' holds a value that is not a fi"),
        ("y_mean.npy", npy(np.float64(np.nan)), "'y_mean' holds a value that is not a finite"),
        ("y_std.npy", npy(np.float64(-1.0)), "the standard deviations must be positive"),
        ("y_column.npy", npy(np.int64(3)), "'y_column' holds int64 values, not text"),
        ("y_column.npy", npy(np.bytes_(b"target")), r"'y_column' holds \|S6 values, not text"),
        ("x_columns.npy", npy(np.array(["a", "a"])), "x_columns names a column more than once"),
        ("x_columns.npy", npy(NOT_TEXT), "'x_columns' holds characters that are not text"),
        ("layer_sizes.npy", npy(np.array([2, 3, 2])), r"layer sizes \[2, 3, 2\] are not those"),
        ("layer_sizes.npy", npy(np.array([2.0, 3, 1])), "'layer_sizes' holds float64 values"),
        (
            "layer_sizes.npy",
            npy(np.ones(5000, int)),
            r"'layer_sizes' has shape \(5000,\), not \(2 to",
        ),
        ("activation.npy", npy(np.str_("relu" * 100)), "unknown activation 'relurelu"),
    ],
)
def test_hostile_members_are_refused_by_name(good, name, content, message):
    path, _ = good
    write_members(path, {**members(path), name: content})
    with damaged(path, message):
        read_model_file(path)


def test_a_raw_member_where_an_array_belongs_is_a_missing_array(good):
    # np.load hands out a member without the .npy suffix as bytes; that raised AttributeError.
    path, _ = good
    contents = members(path)
    contents["y_column"] = contents.pop("y_column.npy")[-30:]
    with damaged(write_members(path, contents), "'y_column' is missing"):
        read_model_file(path)


def test_a_flipped_byte_is_caught_by_the_checksum(good):
    path, _ = good
    raw, w0 = bytearray(path.read_bytes()), members(path)["W0.npy"]
    raw[raw.index(w0) + len(w0) - 1] ^= 0x40  # members are stored as they are
    path.write_bytes(bytes(raw))
    with damaged(path, "'W0' cannot be read: Bad CRC-32"):
        read_model_file(path)


def test_an_unknown_compression_is_refused(good):
    path, _ = good
    write_members(path, members(path), {"W1.npy": zipfile.ZIP_BZIP2})
    with damaged(path, "'W1' is compressed in a way numpy never writes"):
        read_model_file(path)


def peak_memory(read, path):
    tracemalloc.start()
    try:
        return read(path), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ZEROS = bytes(1 << 26)  # 64 MiB; deflated into 64 KiB


def test_a_huge_extra_member_is_never_decompressed(good):
    path, _ = good
    contents = {**members(path), "extra.npy": claim((1 << 24,)) + ZEROS}
    write_members(path, contents, {"extra.npy": zipfile.ZIP_DEFLATED})
    assert path.stat().st_size < 1 << 20
    state, peak = peak_memory(read_model_file, path)
    assert state.layer_sizes == SIZES
    assert peak < 8 << 20, f"{peak / 2**20:.0f} MiB"


def test_a_member_inflating_past_its_header_is_refused_unread(good):
    path, _ = good
    contents = {**members(path), "W0.npy": claim((2, 3)) + ZEROS}
    write_members(path, contents, {"W0.npy": zipfile.ZIP_DEFLATED})
    with damaged(path, f"'W0' has {len(ZEROS)} bytes of data, not the 24 its header says"):
        peak_memory(read_model_file, path)


def test_a_consistent_but_huge_network_is_refused_by_size(tmp_path):
    # Layer sizes, columns and standardisation agree with a (100000, 100000) first layer.
    path = tmp_path / "huge.npz"
    write_model_file(path, valid_state((100_000, 1)))
    contents = members(path)
    contents["layer_sizes.npy"] = npy(np.array([100_000, 100_000, 1]))
    contents["W0.npy"] = claim((100_000, 100_000))
    write_members(path, contents)
    with damaged(path, "'W0' holds 40000000000 bytes, beyond the 268435456 bytes of arrays"):
        read_model_file(path)


def test_a_file_beyond_the_size_limit_is_not_read(good, monkeypatch):
    path, _ = good
    monkeypatch.setattr(_model_file, "MAX_FILE_BYTES", 1000)
    message = rf"^{re.escape(str(path))} is not an nnreg model file \(larger than 1000 bytes"
    with pytest.raises(ValueError, match=message):
        read_model_file(path)
