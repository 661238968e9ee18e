"""Rows as an aligned plain-text table, for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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
