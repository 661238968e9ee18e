"""Rows as text for the terminal or a pipe: an aligned table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "csv", "json")


def _cell(value: Any, decimals: int | None) -> str:
    if value is None:
        return ""
    if decimals is not None and isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def aligned_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], decimals: int | None = None
) -> str:
    """A header, a dashed rule and one line per row; numeric columns right-aligned.

    Floats are written with ``decimals`` places when it is given, else as Python prints them.
    """
    cells = [list(columns)] + [[_cell(value, decimals) for value in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(columns))
    ]
    lines = [
        "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, numeric, strict=True)
        ).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """Rows as text: ``table`` (aligned columns), ``csv`` (with a header) or ``json``.

    ``json`` is one array of objects, one object a line; values JSON cannot hold (dates,
    decimals) are written as strings.
    """
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "json":
        lines = [json.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows]
        return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
    if fmt == "table":
        return aligned_table(columns, rows)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
