"""read_model_file on randomly damaged files: a valid model or a ValueError, nothing else.

Damage: flipped bytes, truncation, a member replaced, added or dropped, a header rewritten.
Allocations are watched with tracemalloc: a header's claim must never be believed.
"""

import ast
import io
import re
import tracemalloc
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnreg.core._model_file import ModelState, read_model_file, write_model_file

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
MEMBERS = ["format", "format_version", "activation", "layer_sizes", "x_columns", "y_column"]
MEMBERS += ["x_mean", "x_std", "y_mean", "y_std", "W0", "b0", "W1", "b1", "nnreg_version"]
MEMBERS += ["members", "linear", "linear_weights", "linear_bias", "noise_variance"]
MOST_BYTES_READ = 4 << 20  # the valid file is about 3 KiB


def valid_file_bytes(tmp_path):
    rng = np.random.default_rng(0)
    state = ModelState(
        members=[
            [
                {"W": rng.normal(size=(2, 3)).astype("f4"), "b": np.zeros((1, 3), "f4")},
                {"W": rng.normal(size=(3, 1)).astype("f4"), "b": np.zeros((1, 1), "f4")},
            ]
        ],
        x_columns=("a", "b"),
        y_column="y",
        x_mean=np.zeros(2),
        x_std=np.ones(2),
        y_mean=0.0,
        y_std=1.0,
        linear_weights=np.ones(2),
        linear_bias=0.5,
    )
    write_model_file(tmp_path / "valid.npz", state)
    return (tmp_path / "valid.npz").read_bytes()


def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


DTYPES = ["<f4", ">f8", "<f2", "<i8", "<u1", "?", "<U3", "|S2", "<c8", "<M8[s]", "|O"]
shapes = st.lists(st.integers(0, 4), max_size=3).map(tuple)
huge_shapes = st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=3).map(tuple)
arrays = st.builds(
    lambda shape, dtype, seed: np.random.default_rng(seed).integers(-9, 9, shape).astype(dtype),
    shapes,
    st.sampled_from(DTYPES),
    st.integers(0, 9),
)
member_contents = st.one_of(
    arrays.map(npy),
    st.binary(max_size=40),
    st.sampled_from([np.nan, np.inf, 1e39]).map(lambda v: npy(np.full((2, 3), v))),
)


def rewrite(data, change):
    """The archive ``data`` with ``change(contents)`` applied to its ``{name: bytes}``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    change(contents)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return out.getvalue()


def retell_header(content, shape, descr, fortran_order):
    """``content``'s ``.npy`` header with some fields replaced; its data left as it was."""
    length = int.from_bytes(content[8:10], "little")
    header = ast.literal_eval(content[10 : 10 + length].decode("latin1"))
    header = {
        "descr": header["descr"] if descr is None else descr,
        "fortran_order": header["fortran_order"] if fortran_order is None else fortran_order,
        "shape": header["shape"] if shape is None else shape,
    }
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue() + content[10 + length :]


@st.composite
def damage(draw):
    """A function from the valid file's bytes to damaged bytes."""
    name = draw(st.sampled_from(MEMBERS)) + ".npy"
    kind = draw(st.sampled_from(["flip", "truncate", "replace", "add", "drop", "header"]))
    if kind == "flip":
        flips = draw(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4))

        def change(data):
            data = bytearray(data)
            for at, mask in flips:
                data[at % len(data)] ^= mask
            return bytes(data)

        return change
    if kind == "truncate":
        keep = draw(st.integers(0, 4000))
        return lambda data: data[:keep]
    if kind == "replace":
        content = draw(member_contents)
        return lambda data: rewrite(data, lambda c: c.update({name: content}))
    if kind == "add":
        extra = draw(st.sampled_from(["extra.npy", "W2.npy", "format", "W0"]))
        content = draw(member_contents)
        return lambda data: rewrite(data, lambda c: c.update({extra: content}))
    if kind == "drop":
        return lambda data: rewrite(data, lambda c: c.pop(name))
    shape = draw(st.none() | shapes | huge_shapes)
    descr = draw(st.none() | st.sampled_from(DTYPES))
    fortran_order = draw(st.none() | st.booleans())
    told = lambda content: retell_header(content, shape, descr, fortran_order)  # noqa: E731
    return lambda data: rewrite(data, lambda c: c.update({name: told(c[name])}))


def check_model(state):
    sizes = state.layer_sizes
    assert sizes[-1] == 1 and len(state.x_columns) == sizes[0]
    assert all(isinstance(name, str) for name in (*state.x_columns, state.y_column))
    for layer, (fan_in, fan_out) in zip(
        state.members[0], zip(sizes, sizes[1:], strict=False), strict=True
    ):
        assert layer["W"].shape == (fan_in, fan_out) and layer["b"].shape == (1, fan_out)
        assert np.isfinite(layer["W"]).all() and np.isfinite(layer["b"]).all()
    assert np.isfinite([*state.x_mean, *state.x_std, state.y_mean, state.y_std]).all()
    assert (state.x_std > 0).all() and state.y_std > 0


@PROPERTY
@given(changes=st.lists(damage(), min_size=1, max_size=3))
def test_damaged_files_give_a_model_or_a_value_error_naming_the_file(tmp_path, changes):
    data = valid_file_bytes(tmp_path)
    for change in changes:
        try:
            data = change(data)
        except Exception:  # the harness, not the reader: an earlier change broke the archive
            break
    path = tmp_path / "damaged.npz"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        check_model(read_model_file(path))
    except ValueError as err:
        message = str(err)
        assert re.match(re.escape(str(path)) + " (is|has) ", message), message
        assert "\n" not in message, message
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MOST_BYTES_READ, f"reading a {len(data)}-byte file took {peak} bytes"
