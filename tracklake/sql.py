"""SQL over a run's output: a DuckDB connection with the run's tables as views.

``tracks`` reads every ``OUT/tracks/*.parquet`` (columns by name, so files with and without
extras such as ``keypoints`` mix), ``videos`` reads ``OUT/videos.parquet`` and
``track_summary`` reads ``OUT/track_summary.parquet`` (built in memory when a run predates
it). ``tracklake.query()`` runs a statement on them. DuckDB is an optional dependency
(``tracklake[query]``), imported only where a run is queried.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tracklake.io import layout
from tracklake.io.store import TRACK_SCHEMA
from tracklake.io.track_summary import build_track_summary


def _literal(path: Path) -> str:
    """``path`` as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def connect(out_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views ``tracks``, ``videos``, ``track_summary``.

    Raises:
        FileNotFoundError: ``out_dir`` holds no ``videos.parquet``.
    """
    out_dir = Path(out_dir)
    videos = out_dir / layout.VIDEOS
    if not videos.exists():
        raise FileNotFoundError(f"{out_dir}: no videos.parquet: not a tracklake output folder")
    connection = duckdb.connect()
    connection.execute(f"CREATE VIEW videos AS SELECT * FROM read_parquet({_literal(videos)})")
    if any((out_dir / layout.TRACKS).glob(layout.VIDEO_OBJECT_PATTERN)):
        files = _literal(out_dir / layout.TRACKS / layout.VIDEO_OBJECT_PATTERN)
        connection.execute(
            f"CREATE VIEW tracks AS SELECT * FROM read_parquet({files}, union_by_name = true)"
        )
    else:  # no video produced a file (all failed): an empty table of the right columns
        connection.register("tracks", TRACK_SCHEMA.empty_table())
    summary = out_dir / layout.TRACK_SUMMARY
    if summary.exists():
        connection.execute(
            f"CREATE VIEW track_summary AS SELECT * FROM read_parquet({_literal(summary)})"
        )
    else:
        connection.register("track_summary", build_track_summary(out_dir))
    return connection
