"""The Parquet track store: ``OUT/tracks/<video>.parquet``, ``OUT/videos.parquet``, ``run.json``.

A tracks file is written under a temporary name in the same folder and renamed only when
complete, so a reader globbing ``tracks/*.parquet`` never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.footer import Footer
from tracklake.io.object_store import ObjectStore, open_store
from tracklake.io.summary_record import SUMMARY_COLUMNS, summary_from_record, summary_record
from tracklake.types import Tracks, VideoSummary

_COMPRESSION = "zstd"
_ROWS_PER_FLUSH = 65_536

TRACK_SCHEMA = pa.schema(
    [
        ("video_id", pa.string()),
        ("frame", pa.int32()),
        ("time_s", pa.float64()),
        ("track_id", pa.int32()),
        ("class_id", pa.int16()),
        ("class_name", pa.string()),
        ("score", pa.float32()),
        ("x1", pa.float32()),
        ("y1", pa.float32()),
        ("x2", pa.float32()),
        ("y2", pa.float32()),
    ]
)


def _regular_lists(values: pa.Array, shape: tuple[int, ...]) -> pa.Array:
    """``values`` (flat) grouped into nested lists of the trailing ``shape``, innermost last."""
    for size in reversed(shape):
        offsets = pa.array(np.arange(0, len(values) + 1, size, dtype=np.int32))
        values = pa.ListArray.from_arrays(offsets, values)
    return values


def _extra_column(values: np.ndarray) -> pa.Array:
    """A per-row extra as a column of nested lists, built from the flat values (no Python
    loop over rows or points).

    ``(M,)`` numbers stay plain, ``(M, K, 3)`` keypoints become lists of ``[x, y, v]``
    (float32); an object array holds one array per row (``(P, 2)`` polygon points, or mask
    run lengths), stored as lists of float32, or of int64 when the arrays hold integers.
    """
    if values.dtype != object:
        flat = pa.array(values.astype(np.float32, copy=False).ravel())
        return _regular_lists(flat, values.shape[1:])
    rows = [np.asarray(value) for value in values]
    if not rows:
        return pa.array([], type=pa.list_(pa.float32()))
    integral = all(row.dtype.kind in "iu" for row in rows)
    stacked = np.concatenate(rows).astype(np.int64 if integral else np.float32, copy=False)
    inner = _regular_lists(pa.array(stacked.ravel()), stacked.shape[1:])
    offsets = np.r_[0, np.cumsum([len(row) for row in rows])].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), inner)


def _class_name_column(class_ids: np.ndarray, class_names: Mapping[int, str]) -> pa.Array:
    """Each row's class name, looked up once per distinct class id."""
    distinct, rows = np.unique(class_ids, return_inverse=True)
    names = pa.array([class_names.get(int(c), str(int(c))) for c in distinct], pa.string())
    return names.take(pa.array(rows.ravel()))


def frame_table(
    video_id: str,
    frame: int,
    time_s: float,
    class_ids: np.ndarray,
    scores: np.ndarray,
    boxes: np.ndarray,
    class_names: Mapping[int, str],
    track_ids: np.ndarray | None = None,
) -> pa.Table:
    """One frame's boxes as rows: ``video_id, frame, time_s, [track_id,] class_id, class_name,
    score, x1, y1, x2, y2``; ``class_ids`` ``(N,)`` int16, ``scores`` ``(N,)`` float32,
    ``boxes`` ``(N, 4)`` float32 xyxy, ``track_ids`` ``(N,)`` int32 when the rows are tracks."""
    n = len(boxes)
    columns = {
        "video_id": pa.array([video_id] * n, pa.string()),
        "frame": pa.array(np.full(n, frame, np.int32)),
        "time_s": pa.array(np.full(n, time_s, np.float64)),
    }
    if track_ids is not None:
        columns["track_id"] = pa.array(track_ids)
    columns.update(
        {
            "class_id": pa.array(class_ids),
            "class_name": _class_name_column(class_ids, class_names),
            "score": pa.array(scores),
            **{name: pa.array(boxes[:, i]) for i, name in enumerate(("x1", "y1", "x2", "y2"))},
        }
    )
    return pa.table(columns)


def track_table(
    video_id: str,
    frame: int,
    time_s: float,
    tracks: Tracks,
    class_names: Mapping[int, str],
    extras: Mapping[str, np.ndarray],
) -> pa.Table:
    """One frame's tracks as rows of the track schema, plus one column per extra.

    ``extras`` holds per-track arrays already aligned with ``tracks`` (first dimension M).
    """
    table = frame_table(
        video_id, frame, time_s, tracks.class_ids, tracks.scores, tracks.boxes, class_names,
        tracks.track_ids,
    )  # fmt: skip
    for name, values in extras.items():
        table = table.append_column(name, _extra_column(values))
    return table


class ParquetFileWriter:
    """Writes one Parquet object in row groups, published whole when complete.

    Use as a context manager: the object appears under its key only when the block ends
    without an exception (committed there unless ``commit`` was called inside it, with the
    footer known only at the end); otherwise what was written is dropped. Rows are flushed
    to the pending object's local file in row groups, so memory stays bounded on long videos.

    Args:
        store: where the object goes.
        key: its key there (``layout``).
        empty_schema: the schema of the file written when no row was appended.
        footer: the file's footer as known before the first row.
    """

    def __init__(self, store: ObjectStore, key: str, empty_schema: pa.Schema, footer: Footer):
        self.location = store.location(key)
        self.pending = store.begin(key)
        self.rows = 0
        self._empty_schema = empty_schema
        self._footer = footer.to_metadata()
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._committed = False

    def append_table(self, table: pa.Table) -> None:
        """Add rows; every table appended must cast to the first one's schema."""
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= _ROWS_PER_FLUSH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        if self._writer is None:
            schema = table.schema.with_metadata(self._footer)
            self._writer = pq.ParquetWriter(self.pending.file, schema, compression=_COMPRESSION)
        self._writer.write_table(table.cast(self._writer.schema))
        self._pending.clear()
        self._pending_rows = 0

    def commit(self, final_footer: Footer | None = None) -> str:
        """Write what is left and publish the object; returns its location.

        ``final_footer`` is the whole footer as known at the end: its entries that the
        footer given at the start lacks (the summary) are added after those.
        """
        self._flush()
        added = {
            key: value
            for key, value in (final_footer.to_metadata() if final_footer else {}).items()
            if key not in self._footer
        }
        if self._writer is None:  # a video without a single row still gets its file
            footer = {**self._footer, **added}
            empty = self._empty_schema.empty_table().replace_schema_metadata(footer)
            pq.write_table(empty, self.pending.file, compression=_COMPRESSION)
        else:
            if added:
                self._writer.add_key_value_metadata(added)
            self._writer.close()
            self._writer = None
        self.pending.commit()
        self._committed = True
        return self.location

    def abort(self) -> None:
        """Drop everything written so far, even when closing the file fails (a full disk
        fails the close too)."""
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                with contextlib.suppress(OSError):
                    writer.close()
        finally:
            self.pending.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._committed:
            self.commit()


class TrackFileWriter(ParquetFileWriter):
    """Writes one video's tracks, frame by frame, to ``OUT/tracks/<video>.parquet``.

    Args:
        out_dir: the run's ``OUT`` folder.
        video_id: the video's id; stored in every row.
        class_names: model class id -> name.
        footer: the file's footer as known before the first frame (model, tracker, source
            size and mtime, ...).
    """

    def __init__(
        self,
        out_dir: str | Path,
        video_id: str,
        class_names: Mapping[int, str],
        footer: Footer,
    ):
        key = layout.video_key(layout.TRACKS, video_id)
        super().__init__(open_store(out_dir), key, TRACK_SCHEMA, footer)
        self.video_id = video_id
        self.track_ids: set[int] = set()
        self._class_names = dict(class_names)

    def append(
        self,
        frame: int,
        time_s: float,
        tracks: Tracks,
        extras: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Add one frame's tracks; ``extras`` are per-track arrays aligned with ``tracks``."""
        if not len(tracks):
            return
        table = track_table(self.video_id, frame, time_s, tracks, self._class_names, extras or {})
        self.append_table(table)
        self.track_ids.update(tracks.track_ids.tolist())


def write_object(store: ObjectStore, key: str, write: Callable[[str], object]) -> str:
    """Call ``write(local_file)``, then publish the file as the object ``key``; returns its
    location. Nothing is published when ``write`` fails."""
    pending = store.begin(key)
    try:
        write(pending.file)
    except BaseException:
        pending.abort()
        raise
    pending.commit()
    return store.location(key)


def write_table_object(store: ObjectStore, key: str, table: pa.Table) -> str:
    """Write ``table`` (zstd) as the Parquet object ``key``; returns its location."""
    return write_object(
        store, key, lambda file: pq.write_table(table, file, compression=_COMPRESSION)
    )


def write_videos_table(summaries: Sequence[VideoSummary], out_dir: str | Path) -> str:
    """Write ``OUT/videos.parquet``: one row per summary, manifest columns last."""
    records = [summary_record(summary) for summary in summaries]
    extra_names = sorted({name for summary in summaries for name in summary.extra})
    columns = {
        field.name: pa.array([record[field.name] for record in records], field.type)
        for field in SUMMARY_COLUMNS
    }
    columns.update(
        {name: pa.array([summary.extra.get(name) for summary in summaries]) for name in extra_names}
    )
    return write_table_object(open_store(out_dir), layout.VIDEOS, pa.table(columns))


def read_videos_table(out_dir: str | Path) -> list[VideoSummary]:
    """The summaries of ``OUT/videos.parquet``; ``[]`` when the run has none yet."""
    store = open_store(out_dir)
    if not store.exists(layout.VIDEOS):
        return []
    with store.open(layout.VIDEOS) as videos_file:
        table = pq.read_table(videos_file)
    return [
        summary_from_record(
            row, {name: value for name, value in row.items() if name not in SUMMARY_COLUMNS.names}
        )
        for row in table.to_pylist()
    ]


def write_run_json(
    out_dir: str | Path,
    configuration: Mapping[str, Any],
    workers: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Write ``OUT/run.json``: the run's configuration, how each kind of worker ran it
    (``workers``, once they are planned: ``WorkerPlan.to_dict``) and the versions that
    produced it."""
    from tracklake.versions import package_versions

    document = {
        "configuration": dict(configuration),
        "workers": [dict(plan) for plan in workers],
        "versions": package_versions(),
    }
    text = json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
    return write_object(
        open_store(out_dir), layout.RUN, lambda file: Path(file).write_text(text, encoding="utf-8")
    )
