"""nnreg.core.read_csv_columns: numbers out, or an error that points at the cell."""

import numpy as np
import pytest

import nnreg.core as core


def csv_file(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_requested_columns_in_order(tmp_path):
    path = csv_file(tmp_path, "id,income,food\nA1,100, 40.5\nB2,2e3,-3\n\n")
    values = core.read_csv_columns(path, ["food", "income"])
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [[40.5, 100.0], [-3.0, 2000.0]])


def test_a_byte_order_mark_and_quoted_names_are_fine(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes('\ufeff"x", "y"\r\n1,2\r\n'.encode())
    np.testing.assert_array_equal(core.read_csv_columns(path, ["x", "y"]), [[1.0, 2.0]])


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        (
            "income,food\n1,2\n",
            ["incme"],
            r"has no column 'incme' \(did you mean 'income'\?\); its columns are 'income', 'food'",
        ),
        ("a,b\n1,2\n3,x7\n", ["b"], r"line 3 \(data row 2\), column 'b': 'x7' is not a number"),
        ("a,b\n1,2\n3,\n", ["b"], r"line 3 \(data row 2\), column 'b' is empty"),
        ("a,b\n1,nan\n", ["b"], "'nan' is not a finite number"),
        ("a,b\n1,inf\n", ["b"], "'inf' is not a finite number"),
        ("a,b\n1,2\n3\n", ["a"], "line 3 .data row 2. has 1 fields but the header has 2"),
        (
            'a,b\n1,2\n"3,4\n5,6\n',
            ["a"],
            "line 3 is not readable as CSV: a quote opened there is never closed",
        ),
        ('a,b\n1,2\n"3"x,4\n', ["a"], "line 3 is not readable as CSV: ',' expected after '\"'"),
        ("a,b\n", ["a"], "has a header but no data rows"),
        ("", ["a"], "is empty: expected a header line"),
        ("a,a\n1,2\n", ["a"], "2 columns named 'a'"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, columns, message):
    path = csv_file(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        core.read_csv_columns(path, columns)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1.5", 1.5),
        ("  1.5 ", 1.5),
        ("\t-2\t", -2.0),
        ("+1", 1.0),
        ("1e5", 1e5),
        ("2.5E-3", 2.5e-3),
        ("-1e+05", -1e5),
        (".5", 0.5),
        ("5.", 5.0),
        ("007", 7.0),
        ("1e-400", 0.0),  # underflows to zero, as every CSV reader reads it
        ('"3.25"', 3.25),  # quoting is CSV syntax, not part of the number
    ],
)
def test_numbers_as_csv_writers_write_them(tmp_path, cell, value):
    path = csv_file(tmp_path, f"a,b\n{cell},0\n")
    assert core.read_csv_columns(path, ["a"])[0, 0] == value


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        # Python's float() reads all of these; a CSV file does not mean them as numbers.
        ("1_000", "'1_000' is not a number"),
        ("0x10", "'0x10' is not a number"),
        ("１２", "'１２' is not a number"),
        ("1\u00a0", r"'1\\xa0' is not a number"),  # a no-break space is not padding
        ("infinity", "'infinity' is not a finite number"),
        ("-NaN", "'-NaN' is not a finite number"),
        ("1e999", "'1e999' is too large for a float64"),
        ('"1,5"', r"'1,5' is not a number \(write decimals with a point and no thousands"),
        ("1.2.3", "'1.2.3' is not a number"),
        ("e5", "'e5' is not a number"),
        ("1e", "'1e' is not a number"),
        ("- 1", "'- 1' is not a number"),
        ("x" * 100, "'x{40}...' is not a number$"),
    ],
)
def test_what_python_reads_but_csv_does_not_mean_is_refused(tmp_path, cell, message):
    path = csv_file(tmp_path, f"a,b\n0,0\n{cell},0\n")
    with pytest.raises(ValueError, match=rf"data.csv line 3 \(data row 2\), column 'a': {message}"):
        core.read_csv_columns(path, ["a"])


def test_quoted_line_breaks_do_not_shift_line_numbers(tmp_path):
    path = csv_file(tmp_path, 'note,a\n"two\nlines",1\nok,x\n')
    with pytest.raises(ValueError, match=r"line 4 \(data row 2\), column 'a': 'x' is not"):
        core.read_csv_columns(path, ["a"])


def test_binary_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a\n1\n2\xff\xfe\x00\x81garbage")
    with pytest.raises(
        ValueError, match="data.csv is not a UTF-8 text file .line 3 has the byte 0xff"
    ):
        core.read_csv_columns(path, ["a"])


def test_lines_of_spaces_are_blank_lines_not_rows(tmp_path):
    path = csv_file(tmp_path, "a,b\n1,2\n   \n3,4\n\t\n\n")
    np.testing.assert_array_equal(core.read_csv_columns(path, ["a", "b"]), [[1, 2], [3, 4]])


def test_an_oversized_field_names_its_line(tmp_path):
    path = csv_file(tmp_path, "a,b\n1,2\n3," + "9" * 200_000 + "\n")
    with pytest.raises(ValueError, match="data.csv line 3 is not readable as CSV: field larger"):
        core.read_csv_columns(path, ["a"])


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        core.read_csv_columns(tmp_path / "nope.csv", ["a"])


@pytest.mark.parametrize(
    ("columns", "error"), [("a", TypeError), ([], ValueError), (["a", "a"], ValueError)]
)
def test_bad_column_lists(tmp_path, columns, error):
    with pytest.raises(error):
        core.read_csv_columns(csv_file(tmp_path, "a\n1\n"), columns)
