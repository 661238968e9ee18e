"""One video's tracks, indexed by frame for drawing: boxes now and centres just before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.object_store import open_store


@dataclass(frozen=True)
class FrameTracks:
    """The tracks to draw on one frame.

    Attributes:
        track_ids: ``(M,)`` int32.
        boxes: ``(M, 4)`` float64 ``x1, y1, x2, y2`` pixels of the original frame.
        labels: ``M`` strings, ``"<track id> <class name>"``.
        trails: per track id, ``(K, 2)`` float64 box centres over the last ``trail_s``
            seconds up to this frame, oldest first.
    """

    track_ids: np.ndarray
    boxes: np.ndarray
    labels: list[str]
    trails: dict[int, np.ndarray]


class VideoTracks:
    """The rows of ``OUT/tracks/<video>.parquet``, sorted by frame.

    Args:
        out_dir: the run's ``OUT`` folder.
        video_id: the video.
        classes: keep only these classes (names, or ids as strings); ``None`` keeps all.
    """

    def __init__(self, out_dir: str | Path, video_id: str, classes: Sequence[str] | None = None):
        with open_store(out_dir).open(layout.video_key(layout.TRACKS, video_id)) as tracks_file:
            table = pq.read_table(tracks_file)
        if classes:
            ids = pa.array([int(c) for c in classes if c.isdigit()], pa.int16())
            table = table.filter(
                pc.or_(
                    pc.is_in(table["class_name"], value_set=pa.array(list(classes), pa.string())),
                    pc.is_in(table["class_id"], value_set=ids),
                )
            )
        table = table.sort_by([("frame", "ascending"), ("track_id", "ascending")])
        self.frames = table["frame"].to_numpy()
        self.times_s = table["time_s"].to_numpy()
        self.track_ids = table["track_id"].to_numpy()
        self.class_names = table["class_name"].to_pylist()
        self.boxes = np.stack(
            [table[name].to_numpy().astype(np.float64) for name in ("x1", "y1", "x2", "y2")],
            axis=1,
        ).reshape(-1, 4)
        self.centres = (self.boxes[:, :2] + self.boxes[:, 2:]) / 2

    def tracked_frames(self) -> np.ndarray:
        """``(F,)`` the distinct frames that have at least one track, ascending."""
        return np.unique(self.frames)

    def at(self, frame: int, trail_s: float = 1.0) -> FrameTracks:
        """The tracks of ``frame`` and, for each, its centres over the last ``trail_s`` s."""
        first, end = np.searchsorted(self.frames, [frame, frame + 1])
        ids = self.track_ids[first:end]
        trails: dict[int, np.ndarray] = {}
        if end > first and trail_s > 0:
            since = np.searchsorted(self.times_s[:end], self.times_s[first] - trail_s)
            window_ids = self.track_ids[since:end]
            for track_id in ids.tolist():
                trails[track_id] = self.centres[since:end][window_ids == track_id]
        return FrameTracks(
            track_ids=ids,
            boxes=self.boxes[first:end],
            labels=[
                f"{t} {name}" for t, name in zip(ids, self.class_names[first:end], strict=True)
            ],
            trails=trails,
        )
