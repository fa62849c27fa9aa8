"""Plain-text tables for the terminal: left-aligned columns under a dashed rule."""


def format_table(header, rows):
    """Lines of ``header`` and ``rows`` (tuples of strings); columns fit their widest cell."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines
