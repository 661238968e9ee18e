"""The per-track table ``OUT/track_summary.parquet``: one row per (video, track).

Built from ``OUT/tracks/*.parquet`` one video at a time (memory stays bounded by the largest
video), with pyarrow and numpy only. Boxes are ``x1, y1, x2, y2`` pixels of the original
frame; a track's centre path is measured between the frames it was seen in, in frame order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.io.store import write_table_object

TRACK_SUMMARY_SCHEMA = pa.schema(
    [
        ("video_id", pa.string()),
        ("track_id", pa.int32()),
        ("class_id", pa.int16()),  # the class seen most often; a tie goes to the lower id
        ("class_name", pa.string()),
        ("first_frame", pa.int32()),
        ("last_frame", pa.int32()),
        ("first_time_s", pa.float64()),
        ("last_time_s", pa.float64()),
        ("duration_s", pa.float64()),  # last_time_s - first_time_s
        ("frames", pa.int32()),  # frames the track was seen in
        ("mean_score", pa.float64()),
        ("mean_width", pa.float64()),  # pixels
        ("mean_height", pa.float64()),
        ("path_length_px", pa.float64()),  # summed distance between consecutive box centres
        ("mean_speed_px_s", pa.float64()),  # path_length_px / duration_s; null if duration is 0
    ]
)

_INPUT_COLUMNS = [
    "video_id", "frame", "time_s", "track_id", "class_id", "class_name", "score",
    "x1", "y1", "x2", "y2",
]  # fmt: skip


def _majority_class(group: np.ndarray, class_ids: np.ndarray, groups: int) -> np.ndarray:
    """``(groups,)`` int16: per group, the most frequent class id (ties: the lowest id).

    ``group``: ``(N,)`` group index of each row; ``class_ids``: ``(N,)`` int16.
    """
    pairs, counts = np.unique(np.stack([group, class_ids.astype(np.int64)]), axis=1,
                              return_counts=True)  # fmt: skip
    pair_group, pair_class = pairs
    order = np.lexsort((pair_class, -counts, pair_group))
    first_of_group = order[np.r_[True, np.diff(pair_group[order]) != 0]]
    majority = np.empty(groups, np.int16)
    majority[pair_group[first_of_group]] = pair_class[first_of_group]
    return majority


def summarise_tracks(table: pa.Table) -> pa.Table:
    """One video's track rows (the track schema) as rows of ``TRACK_SUMMARY_SCHEMA``.

    Rows come out sorted by ``track_id``; an empty input gives an empty, typed table.
    """
    if table.num_rows == 0:
        return TRACK_SUMMARY_SCHEMA.empty_table()
    column = {name: table[name].to_numpy() for name in _INPUT_COLUMNS if name != "class_name"}
    order = np.lexsort((column["frame"], column["track_id"]))
    rows = {name: values[order] for name, values in column.items()}
    track_ids = rows["track_id"]
    starts = np.flatnonzero(np.r_[True, track_ids[1:] != track_ids[:-1]])
    counts = np.diff(np.r_[starts, len(track_ids)])
    lasts = starts + counts - 1
    group = np.repeat(np.arange(len(starts)), counts)

    width = (rows["x2"] - rows["x1"]).astype(np.float64)
    height = (rows["y2"] - rows["y1"]).astype(np.float64)
    centre_x = rows["x1"].astype(np.float64) + width / 2
    centre_y = rows["y1"].astype(np.float64) + height / 2
    steps = np.hypot(np.diff(centre_x), np.diff(centre_y))
    steps[group[1:] != group[:-1]] = 0.0  # no step from one track to the next
    path_length = np.add.reduceat(np.r_[steps, 0.0], starts)

    duration = rows["time_s"][lasts] - rows["time_s"][starts]
    moving = duration > 0
    speed = np.divide(path_length, duration, out=np.zeros_like(path_length), where=moving)

    class_ids = _majority_class(group, rows["class_id"], len(starts))
    pairs = table.select(["class_id", "class_name"]).group_by(["class_id", "class_name"])
    names = {row["class_id"]: row["class_name"] for row in pairs.aggregate([]).to_pylist()}
    columns = {
        "video_id": [table["video_id"][0].as_py()] * len(starts),  # one file, one video
        "track_id": track_ids[starts],
        "class_id": class_ids,
        "class_name": [names[int(class_id)] for class_id in class_ids],
        "first_frame": rows["frame"][starts],
        "last_frame": rows["frame"][lasts],
        "first_time_s": rows["time_s"][starts],
        "last_time_s": rows["time_s"][lasts],
        "duration_s": duration,
        "frames": counts,
        "mean_score": np.add.reduceat(rows["score"].astype(np.float64), starts) / counts,
        "mean_width": np.add.reduceat(width, starts) / counts,
        "mean_height": np.add.reduceat(height, starts) / counts,
        "path_length_px": path_length,
        "mean_speed_px_s": pa.array(speed, mask=~moving),
    }
    return pa.table(
        [pa.array(columns[field.name], field.type) for field in TRACK_SUMMARY_SCHEMA],
        schema=TRACK_SUMMARY_SCHEMA,
    )


def build_track_summary(out_dir: str | Path) -> pa.Table:
    """The summary of every ``OUT/tracks/*.parquet``, sorted by video then track."""
    store = open_store(out_dir)
    parts = []
    for key in store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN):
        with store.open(key) as tracks_file:
            parts.append(summarise_tracks(pq.read_table(tracks_file, columns=_INPUT_COLUMNS)))
    table = pa.concat_tables([TRACK_SUMMARY_SCHEMA.empty_table(), *parts])
    return table.sort_by([("video_id", "ascending"), ("track_id", "ascending")])


def write_track_summary(out_dir: str | Path) -> str:
    """(Re)write ``OUT/track_summary.parquet`` from the tracks files, whole or not at all."""
    table = build_track_summary(out_dir)
    return write_table_object(open_store(out_dir), layout.TRACK_SUMMARY, table)
