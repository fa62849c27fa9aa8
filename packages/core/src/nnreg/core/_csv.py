"""Numeric columns from a user's CSV file, with errors that point at the offending cell."""

import csv
import difflib
import math
import re

import numpy as np

# A number as CSV writers (spreadsheets, R, pandas, numpy) write one: an optional sign, ASCII
# digits with an optional decimal point, an optional exponent. Python's float() accepts more
# ("1_000", full-width digits, "infinity"), none of which a CSV file means as a number.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
# Spaces and tabs around a number are padding; other white space is not read as such.
_PADDING = " \t"


def read_csv_columns(path, columns):
    """Return the named columns of the CSV file at ``path`` as a float64 ``(rows, k)`` array.

    The first line is the header. Only the requested columns must be numeric; other columns
    may hold anything. A number is written the way CSV writers write them: an optional ``+``
    or ``-``, ASCII digits with an optional decimal point, an optional exponent (``1.5``,
    ``-2``, ``+1``, ``.5``, ``5.``, ``1e5``, ``2.5E-3``), optionally padded with spaces or
    tabs. Anything else is refused, even where Python's ``float`` would read it: ``1_000``,
    ``0x10``, full-width digits such as ``１２``, a decimal comma (``"1,5"``), ``nan``,
    ``inf``, and numbers too large for a float64 (``1e999``).

    Raises ``FileNotFoundError`` (an ``OSError``) for a missing file and ``ValueError`` naming
    the file, and where it applies the line and column, for a file that is not UTF-8 CSV text
    or a requested cell that does not hold a finite number.
    """
    columns = _check_column_names(columns)
    rows = _rows(path)
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise ValueError(f"{path} is empty: expected a header line with column names")
    header = [name.strip() for name in rows[0][1]]
    indices = [_column_index(header, name, path) for name in columns]
    # A blank line (or one of spaces) is common in hand-edited files; it is not a data row.
    body = [(line, row) for line, row in rows[1:] if len(row) > 1 or "".join(row).strip()]
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


def _rows(path):
    """``(line, fields)`` for every row; ``line`` is where the row starts in the file, which a
    quoted field holding line breaks makes differ from the row's position."""
    rows, start = [], 1  # the line the next row starts on
    with open(path, newline="", encoding="utf-8-sig") as file:
        # strict: a quote never closed is an error, not a field that swallows the file's rest
        reader = csv.reader(file, skipinitialspace=True, strict=True)
        try:
            for fields in reader:
                rows.append((start, fields))
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise ValueError(f"{path} is not a UTF-8 text file ({_first_bad_byte(path)})") from None
        except csv.Error as err:
            if str(err) == "unexpected end of data":
                raise ValueError(
                    f"{path} line {start} is not readable as CSV: a quote opened there is never "
                    "closed"
                ) from None
            raise ValueError(f"{path} line {start} is not readable as CSV: {err}") from None
    return rows


def _first_bad_byte(path):
    # The decoder reads ahead in blocks, so only the bytes themselves locate the error.
    with open(path, "rb") as file:
        data = file.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f"line {line} has the byte 0x{data[err.start]:02x}, which is not UTF-8"
    return "it changed while being read"


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
    text = cell.strip(_PADDING)
    if not text:
        raise ValueError(f"{where} is empty")
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise ValueError(f"{where}: {_shown(text)} is too large for a float64")
    if _NON_FINITE.fullmatch(text):
        raise ValueError(f"{where}: {_shown(text)} is not a finite number")
    hint = " (write decimals with a point and no thousands separators)" if "," in text else ""
    raise ValueError(f"{where}: {_shown(text)} is not a number{hint}")


def _shown(text, limit=40):
    """The cell as the message quotes it: a pasted paragraph is cut short."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
