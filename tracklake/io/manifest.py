"""Manifests: files listing the videos of a run, one row each.

``.txt`` holds one path or URI a line (``#`` starts a comment). ``.csv``, ``.jsonl`` and
``.parquet`` need a ``path`` column, may have a ``video_id`` column, and any other columns
are carried into ``videos.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

MANIFEST_SUFFIXES = (".txt", ".csv", ".jsonl", ".parquet")


class ManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the cause."""


def is_manifest(path: Path) -> bool:
    return path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file()


def _read_text_lines(path: Path) -> pa.Table:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    paths = [line for line in lines if line and not line.startswith("#")]
    return pa.table({"path": pa.array(paths, pa.string())})


def _read_json_lines(path: Path) -> pa.Table:
    """A ``.jsonl`` manifest; a malformed line is named by its number as the file shows it
    (pyarrow counts parsed rows from 0 and skips blank lines)."""
    import pyarrow.json as pajson

    try:
        return pajson.read_json(path)
    except pa.ArrowInvalid:
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    json.loads(line)
                except json.JSONDecodeError as error:
                    raise ManifestError(
                        f"{path}: cannot read manifest: line {number} is not valid JSON "
                        f"({error.msg} at column {error.colno})"
                    ) from None
        raise  # every line parses on its own: pyarrow's own message says what is wrong


def _read_table(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _read_text_lines(path)
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        # Paths and ids stay text: an id like "007" must not become the number 7.
        as_text = {"path": pa.string(), "video_id": pa.string()}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=as_text))
    if suffix == ".jsonl":
        return _read_json_lines(path)
    import pyarrow.parquet as pq

    return pq.read_table(path)


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """The manifest's rows as dicts; each has a non-empty string ``path``.

    Raises:
        ManifestError: unreadable, no ``path`` column, or an empty ``path``.
    """
    try:
        table = _read_table(path)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read manifest: {error}") from None
    if "path" not in table.column_names:
        raise ManifestError(
            f"{path}: manifest has no 'path' column (columns: {', '.join(table.column_names)})"
        )
    rows = table.to_pylist()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row["path"], str) or not row["path"].strip():
            raise ManifestError(f"{path}: row {number} has an empty 'path'")
        if "video_id" in row and row["video_id"] is not None:
            row["video_id"] = str(row["video_id"])
    return rows
