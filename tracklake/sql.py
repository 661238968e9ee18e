"""SQL over a run's output: a DuckDB connection with the run's tables as views.

``tracks`` reads every ``OUT/tracks/*.parquet`` (columns by name, so files with and without
extras such as ``keypoints`` mix), ``videos`` reads ``OUT/videos.parquet`` and
``track_summary`` reads ``OUT/track_summary.parquet`` (built in memory when a run predates
it), each listed and read through the run's store (``ObjectStore.parquet_dataset``).
``tracklake.query()`` runs a statement on them. DuckDB is an optional dependency
(``tracklake[query]``), imported only where a run is queried.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.io.store import TRACK_SCHEMA
from tracklake.io.track_summary import build_track_summary


def connect(out_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the views ``tracks``, ``videos``, ``track_summary``.

    Raises:
        FileNotFoundError: ``out_dir`` holds no ``videos.parquet``.
    """
    store = open_store(out_dir)
    if not store.exists(layout.VIDEOS):
        raise FileNotFoundError(f"{out_dir}: no videos.parquet: not a tracklake output folder")
    connection = duckdb.connect()
    connection.register("videos", store.parquet_dataset([layout.VIDEOS]))
    keys = store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN)
    if keys:
        connection.register("tracks", store.parquet_dataset(keys))
    else:  # no video produced a file (all failed): an empty table of the right columns
        connection.register("tracks", TRACK_SCHEMA.empty_table())
    if store.exists(layout.TRACK_SUMMARY):
        connection.register("track_summary", store.parquet_dataset([layout.TRACK_SUMMARY]))
    else:
        connection.register("track_summary", build_track_summary(out_dir))
    return connection
