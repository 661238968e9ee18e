"""Saved detections: ``OUT/detections/<video>.parquet``, every frame's detections before tracking.

``tracklake track --save-detections`` writes them down to a low score floor, so that another
tracker, or other tracker thresholds, can run on them later without decoding or detecting
(``tracklake retrack``, ``tracklake tune``). One row per detection; the footer says how many
frames were read and at which stride, so frames without a detection are known too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracklake.io.footer import Footer, read_footer
from tracklake.io.store import TRACK_SCHEMA, ParquetFileWriter, frame_table
from tracklake.io.video_ids import safe_file_stem
from tracklake.types import Detections

DETECTIONS_DIR = "detections"
# Detections scoring at or below this are not saved: low enough for ByteTrack's second
# association (track_low_thresh 0.1 by default) and for tuning that threshold below it.
DETECTIONS_FLOOR = 0.05

# The tracks file's columns, without track_id.
DETECTION_SCHEMA = TRACK_SCHEMA.remove(TRACK_SCHEMA.get_field_index("track_id"))


def detections_path(out_dir: str | Path, video_id: str) -> Path:
    """Where the saved detections of ``video_id`` live, directly inside ``OUT/detections/``."""
    return Path(out_dir) / DETECTIONS_DIR / f"{safe_file_stem(video_id)}.parquet"


class DetectionFileWriter(ParquetFileWriter):
    """Writes one video's detections, frame by frame, to ``OUT/detections/<video>.parquet``.

    Args:
        out_dir: the run's ``OUT`` folder.
        video_id: the video's id; stored in every row.
        class_names: model class id -> name; also stored in the footer.
        conf: the run's ``--conf``: the threshold its tracker saw detections through.
        fps: the video's frame rate.
        footer: the video's tracks file footer as known before the first frame (source,
            model, vid_stride, ...); the detections' own entries are added to it.
    """

    def __init__(
        self,
        out_dir: str | Path,
        video_id: str,
        class_names: Mapping[int, str],
        conf: float,
        fps: float,
        footer: Footer,
    ):
        footer = replace(
            footer,
            detections_conf=conf,
            detections_floor=DETECTIONS_FLOOR,
            fps=fps,
            class_names=dict(class_names),
        )
        super().__init__(detections_path(out_dir, video_id), DETECTION_SCHEMA, footer)
        self.video_id = video_id
        self._class_names = dict(class_names)

    def append(self, frame: int, time_s: float, detections: Detections) -> None:
        """Add one frame's detections (all of them, above ``DETECTIONS_FLOOR``)."""
        if not len(detections):
            return
        table = frame_table(
            self.video_id, frame, time_s, detections.class_ids, detections.scores,
            detections.boxes, self._class_names,
        )  # fmt: skip
        self.append_table(table)

    def commit(self, final_footer: Footer | None = None, frames: int = 0) -> Path:
        """Close the file; ``frames`` is how many frames were read (after ``vid_stride``)."""
        return super().commit(replace(final_footer or Footer(), frames=frames))


@dataclass(frozen=True)
class SavedDetections:
    """One video's saved detections, read back.

    Attributes:
        video_id: the video's id.
        conf: the ``--conf`` of the run that saved them.
        fps: the video's frame rate.
        vid_stride: the stride its frames were read at.
        frames: frames read (after ``vid_stride``), with or without detections.
        class_names: model class id -> name.
        footer: the file's whole footer.
        table: the rows as written: by frame, in the detector's order within a frame.
    """

    video_id: str
    conf: float
    fps: float
    vid_stride: int
    frames: int
    class_names: dict[int, str]
    footer: Footer
    table: pa.Table

    def frames_with_detections(self, conf: float) -> Iterator[tuple[int, float, Detections]]:
        """``(frame, time_s, Detections)`` for every frame read, in order, keeping the
        detections scoring above ``conf``; a frame without detections gets an empty one,
        timed at ``frame / fps``."""
        table = self.table.filter(pc.greater(self.table["score"], conf))
        frame = table["frame"].to_numpy()
        time_s = table["time_s"].to_numpy()
        boxes = np.column_stack([table[name].to_numpy() for name in ("x1", "y1", "x2", "y2")])
        scores = table["score"].to_numpy()
        class_ids = table["class_id"].to_numpy()
        starts = np.searchsorted(frame, np.arange(self.frames) * self.vid_stride)
        ends = np.searchsorted(frame, np.arange(self.frames) * self.vid_stride, side="right")
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            index = i * self.vid_stride
            rows = slice(start, end)
            when = float(time_s[start]) if end > start else index / self.fps
            yield index, when, Detections(boxes[rows], scores[rows], class_ids[rows])


def read_saved_detections(path: str | Path) -> SavedDetections:
    """Read ``OUT/detections/<video>.parquet``.

    Raises:
        ValueError: the file lacks the footer entries a detections file has; names the file.
    """
    footer = read_footer(path)
    try:
        return SavedDetections(
            video_id=footer.require("video_id"),
            conf=footer.require("detections_conf"),
            fps=footer.require("fps"),
            vid_stride=footer.require("vid_stride"),
            frames=footer.require("frames"),
            class_names=footer.require("class_names"),
            footer=footer,
            table=pq.read_table(path),
        )
    except KeyError as error:
        raise ValueError(
            f"{path}: not a tracklake detections file (no {error} in its footer)"
        ) from None


def saved_detection_files(out_dir: str | Path) -> list[Path]:
    """Every ``OUT/detections/*.parquet`` of a run, sorted by name."""
    return sorted((Path(out_dir) / DETECTIONS_DIR).glob("*.parquet"))
