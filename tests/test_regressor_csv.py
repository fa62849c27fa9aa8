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
        ("a,b\n", ["a"], "has a header but no data rows"),
        ("", ["a"], "is empty: expected a header line"),
        ("a,a\n1,2\n", ["a"], "2 columns named 'a'"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, columns, message):
    path = csv_file(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        core.read_csv_columns(path, columns)


def test_binary_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
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
