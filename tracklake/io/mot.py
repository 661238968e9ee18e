"""MOTChallenge text export: ``frame+1,track_id,x,y,w,h,score,-1,-1,-1`` per row."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.object_store import open_store

_MOT_COLUMNS = ["frame", "track_id", "x1", "y1", "x2", "y2", "score"]


def export_mot(
    tracks_file: str | Path | BinaryIO, destination: str | Path, class_name: str | None = None
) -> int:
    """Write one video's tracks as a MOTChallenge result file; returns the row count.

    Frames become 1-based; boxes become ``x, y, width, height`` in pixels. ``class_name``
    keeps only that class's tracks (MOTChallenge scores pedestrians only).
    """
    row_filter = None if class_name is None else pc.field("class_name") == class_name
    table = pq.read_table(tracks_file, columns=_MOT_COLUMNS, filters=row_filter)
    table = table.sort_by([("frame", "ascending"), ("track_id", "ascending")])
    columns = {name: table.column(name).to_numpy() for name in _MOT_COLUMNS}
    rows = np.column_stack(
        [
            columns["frame"] + 1,
            columns["track_id"],
            columns["x1"],
            columns["y1"],
            columns["x2"] - columns["x1"],
            columns["y2"] - columns["y1"],
            columns["score"],
            np.full((len(table), 3), -1),
        ]
    )
    Path(destination).parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(destination, rows, fmt="%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,%d,%d,%d")
    return len(table)


def export_mot_run(out_dir: str | Path, destination_dir: str | Path) -> list[Path]:
    """Export every video of a run to ``destination_dir/<video>.txt``."""
    store = open_store(out_dir)
    written = []
    for key in store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN):
        destination = Path(destination_dir) / f"{PurePosixPath(key).stem}.txt"
        with store.open(key) as tracks_file:
            export_mot(tracks_file, destination)
        written.append(destination)
    return written
