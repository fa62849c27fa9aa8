"""read_csv_columns on generated files: the right numbers, or a ValueError naming the place."""

import csv
import io
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnreg.core as core

# Bounded so that each property runs in a few seconds; tmp_path is reused on purpose (each
# example overwrites the one file).
PROPERTY = settings(
    max_examples=75,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text a cell may hold: any character but NUL (which some CSV writers cannot write) and lone
# surrogates (which UTF-8 cannot encode).
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
finite = st.floats(allow_nan=False, allow_infinity=False)
# How spreadsheets, R, pandas and numpy write a float, padding and quotes included.
WRITERS = [repr, "{:.17g}".format, "{:.6e}".format, "{:.3f}".format, "{:E}".format, "{:+}".format]


@st.composite
def tables(draw):
    """A CSV text, the numeric columns' names and the float64 values they must read as."""
    names = draw(
        st.lists(
            cell_text.filter(lambda name: name and name.strip() == name),
            min_size=2,
            max_size=4,
            unique=True,
        )
    )
    numeric, note = names[:-1], names[-1]  # the last column holds free text, never read
    rows = draw(st.integers(1, 12))
    values = np.empty((rows, len(numeric)))
    lines = [names]
    for i in range(rows):
        row = []
        for j in range(len(numeric)):
            text = draw(st.sampled_from(WRITERS))(draw(finite))
            values[i, j] = float(text)
            row.append(draw(st.sampled_from(["", " ", "  ", "\t"])) + text)
        lines.append([*row, draw(cell_text)])
    return lines, numeric, note, values


def csv_text(lines, terminator):
    # Python's writer quotes a field holding \r only when \r is in its line terminator, so
    # rows are written with \r\n and their terminator swapped afterwards.
    rows = []
    for line in lines:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(line)
        rows.append(out.getvalue()[:-2] + terminator)
    return "".join(rows)


def physical_lines(text):
    # How csv.reader counts lines: a file opened with newline="" splits at \n, \r and \r\n.
    return sum(1 for _ in io.StringIO(text, newline=""))


@PROPERTY
@given(table=tables(), terminator=st.sampled_from(["\n", "\r\n"]), data=st.data())
def test_well_formed_files_read_back_exactly(tmp_path, table, terminator, data):
    lines, numeric, _, values = table
    path = tmp_path / "table.csv"
    path.write_text(csv_text(lines, terminator), encoding="utf-8", newline="")
    order = data.draw(st.permutations(range(len(numeric))))
    got = core.read_csv_columns(path, [numeric[j] for j in order])
    np.testing.assert_array_equal(got, values[:, order])


# A cell with a character that no plain number holds cannot be read as one.
not_a_number = cell_text.filter(lambda text: set(text) - set("0123456789.eE+-"))


@PROPERTY
@given(table=tables(), bad=not_a_number, data=st.data())
def test_one_bad_cell_is_named_by_line_row_and_column(tmp_path, table, bad, data):
    lines, numeric, _, values = table
    row = data.draw(st.integers(0, len(values) - 1))
    column = data.draw(st.integers(0, len(numeric) - 1))
    lines[row + 1][column] = bad
    text = csv_text(lines, "\n")
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8", newline="")
    line = physical_lines(csv_text(lines[: row + 1], "\n")) + 1
    where = f"{path} line {line} (data row {row + 1}), column {numeric[column]!r}"
    try:
        core.read_csv_columns(path, numeric)
    except ValueError as err:
        assert str(err).startswith(where + " is empty" if not bad.strip(" \t") else where + ": ")
    else:
        raise AssertionError(f"{bad!r} was read as a number")


# Fragments that make CSV structure (quotes, separators, line breaks, numbers) likely.
FRAGMENTS = ["a", "b", ",", '"', "\n", "\r", " ", "\t", "1", "2.5", "-", "e", "x", "\x00", "é"]


@PROPERTY
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(lambda p: "".join(p).encode()),
        st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(
            lambda p: ("a,b\n" + "".join(p)).encode()
        ),
    )
)
def test_any_file_gives_finite_numbers_or_an_error_naming_it(tmp_path, content):
    path = tmp_path / "any.csv"
    path.write_bytes(content)
    try:
        values = core.read_csv_columns(path, ["a"])
    except ValueError as err:
        assert re.match(re.escape(str(path)) + " ", str(err)), str(err)
        assert "\n" not in str(err)  # one line, as the command prints it
    else:
        assert values.dtype == np.float64 and values.ndim == 2 and values.shape[1] == 1
        assert np.isfinite(values).all()
