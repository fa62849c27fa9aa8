"""Numeric columns from a user's CSV file, with errors that point at the offending cell."""

import csv
import difflib
import math

import numpy as np


def read_csv_columns(path, columns):
    """Return the named columns of the CSV file at ``path`` as a float64 ``(rows, k)`` array.

    The first line is the header. Only the requested columns must be numeric; other columns
    may hold anything. Raises ``FileNotFoundError`` (an ``OSError``) for a missing file and
    ``ValueError`` naming the file, line and column for anything that is not a finite number
    in every requested cell.
    """
    columns = _check_column_names(columns)
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file, skipinitialspace=True))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a UTF-8 text file") from None
    except csv.Error as err:
        raise ValueError(f"{path} is not a readable CSV file: {err}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ValueError(f"{path} is empty: expected a header line with column names")
    header = [name.strip() for name in rows[0]]
    indices = [_column_index(header, name, path) for name in columns]
    # A trailing blank line is common in hand-edited files; it is not a data row.
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if row]
    if not body:
        raise ValueError(f"{path} has a header but no data rows")
    values = np.empty((len(body), len(columns)), np.float64)
    for i, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise ValueError(
                f"{path} line {line} (data row {i + 1}) has {len(row)} fields "
                f"but the header has {len(header)}"
            )
        for j, (name, index) in enumerate(zip(columns, indices, strict=True)):
            values[i, j] = _number(row[index], path, line, i + 1, name)
    return values


def _check_column_names(columns):
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of column names, not a single string")
    names = list(columns)
    if not names:
        raise ValueError("columns must name at least one column")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"column names must be strings, got {name!r}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"column(s) requested more than once: {', '.join(repeated)}")
    return names


def _column_index(header, name, path):
    matches = [i for i, column in enumerate(header) if column == name]
    if len(matches) > 1:
        raise ValueError(f"{path} has {len(matches)} columns named {name!r}")
    if not matches:
        existing = ", ".join(repr(column) for column in header)
        close = difflib.get_close_matches(name, header, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{path} has no column {name!r}{hint}; its columns are {existing}")
    return matches[0]


def _number(cell, path, line, row, name):
    where = f"{path} line {line} (data row {row}), column {name!r}"
    if not cell.strip():
        raise ValueError(f"{where} is empty")
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"{where}: {cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {cell.strip()!r} is not a finite number")
    return value
