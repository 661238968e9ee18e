"""Saved detections: ``OUT/detections/<video>.parquet``, every frame's detections before tracking.

``tracklake track --save-detections`` writes them down to a low score floor, so that another
tracker, or other tracker thresholds, can run on them later without decoding or detecting
(``tracklake retrack``, ``tracklake tune``). One row per detection; the footer says how many
frames were read and at which stride, so frames without a detection are known too.

What a tracker needs besides boxes is saved when the run used it, so that every tracker can
be run again without the frames: each detection's appearance embedding (an ``embedding``
column, float16) when the run's tracker matched on appearance, and each frame's camera motion
(the ``(2, 3)`` warp its camera-motion compensation found) in
``OUT/detections/camera_motion/<video>.parquet`` when it compensated camera motion.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.footer import Footer, read_footer
from tracklake.io.object_store import ObjectStore, open_store
from tracklake.io.store import TRACK_SCHEMA, ParquetFileWriter, frame_table
from tracklake.types import RECOVERED, Detections

# Detections scoring at or below this are not saved: low enough for ByteTrack's second
# association (track_low_thresh 0.1 by default) and for tuning that threshold below it.
DETECTIONS_FLOOR = 0.05

# The tracks file's columns, without track_id; then ``embedding`` when embeddings are saved.
DETECTION_SCHEMA = TRACK_SCHEMA.remove(TRACK_SCHEMA.get_field_index("track_id"))
EMBEDDING_DTYPE = np.float16
# One row per frame tracked: its number and the warp, row-major.
CAMERA_MOTION_SCHEMA = pa.schema([("frame", pa.int32()), ("warp", pa.list_(pa.float64(), 6))])


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
        camera_motion: the ``gmc_method`` of the run's tracker when it compensates camera
            motion: each frame's warp is then saved too; None when it does not.
    """

    def __init__(
        self,
        out_dir: str | Path,
        video_id: str,
        class_names: Mapping[int, str],
        conf: float,
        fps: float,
        footer: Footer,
        camera_motion: str | None = None,
    ):
        footer = replace(
            footer,
            detections_conf=conf,
            detections_floor=DETECTIONS_FLOOR,
            fps=fps,
            class_names=dict(class_names),
            camera_motion=camera_motion,
        )
        store = open_store(out_dir)
        super().__init__(
            store, layout.video_key(layout.DETECTIONS, video_id), DETECTION_SCHEMA, footer
        )
        self.video_id = video_id
        self._class_names = dict(class_names)
        self._warps = (
            None
            if camera_motion is None
            else ParquetFileWriter(
                store,
                layout.video_key(layout.CAMERA_MOTION, video_id),
                CAMERA_MOTION_SCHEMA,
                footer,
            )
        )

    def append(
        self,
        frame: int,
        time_s: float,
        detections: Detections,
        camera_warp: np.ndarray | None = None,
    ) -> None:
        """Add one frame's detections (all of them, above ``DETECTIONS_FLOOR``), with their
        ``extras["embeddings"]`` ``(N, D)`` and ``extras["recovered"]`` ``(N,)`` (a
        ``recovered`` column: TrackTrack's second set) when they have them, and the ``(2, 3)``
        ``camera_warp`` the tracker applied on this frame when the run saves camera motion.

        Raises:
            ValueError: the run saves camera motion and ``camera_warp`` is None.
        """
        if self._warps is not None:
            if camera_warp is None:
                raise ValueError(f"{self.location}: frame {frame} has no camera-motion warp")
            row = {"frame": [frame], "warp": [np.ravel(camera_warp)]}
            self._warps.append_table(pa.table(row, schema=CAMERA_MOTION_SCHEMA))
        if not len(detections):
            return
        table = frame_table(
            self.video_id, frame, time_s, detections.class_ids, detections.scores,
            detections.boxes, self._class_names,
        )  # fmt: skip
        if "embeddings" in detections.extras:
            table = table.append_column("embedding", _embedding_column(detections))
        if RECOVERED in detections.extras:
            table = table.append_column(RECOVERED, pa.array(detections.extras[RECOVERED]))
        self.append_table(table)

    def commit(self, final_footer: Footer | None = None, frames: int = 0) -> str:
        """Close the file (and the camera motion's, first); ``frames`` is how many frames
        were read (after ``vid_stride``)."""
        final_footer = replace(final_footer or Footer(), frames=frames)
        if self._warps is not None:
            self._warps.commit(final_footer)
        return super().commit(final_footer)

    def abort(self) -> None:
        """Drop both files' temporary copies."""
        try:
            if self._warps is not None:
                self._warps.abort()
        finally:
            super().abort()


def _embedding_column(detections: Detections) -> pa.FixedSizeListArray:
    """``extras["embeddings"]`` ``(N, D)`` as a column of N float16 lists of D."""
    embeddings = np.asarray(detections.extras["embeddings"], dtype=EMBEDDING_DTYPE)
    return pa.FixedSizeListArray.from_arrays(pa.array(embeddings.ravel()), embeddings.shape[1])


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
        camera_motion: the ``gmc_method`` that found ``camera_warps``; None when the run did
            not compensate camera motion.
        camera_warps: ``(frames, 2, 3)`` float64, each frame's camera motion as the run's
            tracker found it, in order; None with ``camera_motion``.
    """

    video_id: str
    conf: float
    fps: float
    vid_stride: int
    frames: int
    class_names: dict[int, str]
    footer: Footer
    table: pa.Table
    camera_motion: str | None = None
    camera_warps: np.ndarray | None = None

    @property
    def has_embeddings(self) -> bool:
        """Whether each detection has its appearance embedding (the run used appearance)."""
        return "embedding" in self.table.column_names

    @property
    def has_recovered(self) -> bool:
        """Whether the recovered second set was saved (``recovered`` rows flagged)."""
        return RECOVERED in self.table.column_names

    @property
    def embeddings_model(self) -> str | None:
        """The ``model`` that gave the embeddings (``auto``, or a ReID model as the run's
        tracker named it); None without embeddings."""
        if not self.has_embeddings:
            return None
        return (self.footer.tracker or {}).get("model")

    def frames_with_detections(self, conf: float) -> Iterator[tuple[int, float, Detections]]:
        """``(frame, time_s, Detections)`` for every frame read, in order, keeping the
        detections scoring above ``conf``; a frame without detections gets an empty one,
        timed at ``frame / fps``. With saved embeddings, each ``Detections`` has them as
        ``extras["embeddings"]`` ``(N, D)`` float32; with the recovered set saved,
        ``extras["recovered"]`` ``(N,)`` bool."""
        table = self.table.filter(pc.greater(self.table["score"], conf))
        frame = table["frame"].to_numpy()
        time_s = table["time_s"].to_numpy()
        boxes = np.column_stack([table[name].to_numpy() for name in ("x1", "y1", "x2", "y2")])
        scores = table["score"].to_numpy()
        class_ids = table["class_id"].to_numpy()
        embeddings = _embedding_matrix(table) if self.has_embeddings else None
        recovered = table[RECOVERED].to_numpy(zero_copy_only=False) if self.has_recovered else None
        starts = np.searchsorted(frame, np.arange(self.frames) * self.vid_stride)
        ends = np.searchsorted(frame, np.arange(self.frames) * self.vid_stride, side="right")
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            index = i * self.vid_stride
            rows = slice(start, end)
            when = float(time_s[start]) if end > start else index / self.fps
            extras: dict[str, np.ndarray] = {}
            if embeddings is not None:
                extras["embeddings"] = embeddings[rows].astype(np.float32)
            if recovered is not None:
                extras[RECOVERED] = recovered[rows]
            yield index, when, Detections(boxes[rows], scores[rows], class_ids[rows], extras)


def _embedding_matrix(table: pa.Table) -> np.ndarray:
    """The ``embedding`` column as ``(N, D)`` float16 (cast to float32 a frame at a time)."""
    column = table["embedding"].combine_chunks()
    return column.flatten().to_numpy().reshape(-1, column.type.list_size)


class DamagedDetectionsError(ValueError):
    """Saved detections that cannot be read; the message names the file and the cause."""


def read_saved_detections(store: ObjectStore, key: str) -> SavedDetections:
    """Read the detections object ``key`` of a run's ``store`` (``detections/<video>.parquet``)
    and its camera motion, if it saved that.

    Raises:
        DamagedDetectionsError: the file (or its camera motion's) is missing, truncated, not
            Parquet, lacks the footer entries a detections file has, or has the wrong number
            of warps.
    """
    try:
        return _read_saved_detections(store, key)
    except (OSError, pa.ArrowException) as error:
        cause = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DamagedDetectionsError(f"{store.location(key)}: unreadable: {cause}") from None


def _read_saved_detections(store: ObjectStore, key: str) -> SavedDetections:
    path = store.location(key)
    with store.open(key) as detections_file:
        parquet = pq.ParquetFile(detections_file)  # the footer is read once, for both
        footer = read_footer(parquet)
        table = parquet.read()
    try:
        saved = SavedDetections(
            video_id=footer.require("video_id"),
            conf=footer.require("detections_conf"),
            fps=footer.require("fps"),
            vid_stride=footer.require("vid_stride"),
            frames=footer.require("frames"),
            class_names=footer.require("class_names"),
            footer=footer,
            table=table,
        )
    except KeyError as error:
        raise DamagedDetectionsError(
            f"{path}: not a tracklake detections file (no {error} in its footer)"
        ) from None
    if footer.camera_motion is None:
        return saved
    warps = _read_camera_warps(store, layout.camera_motion_key(key), saved.frames)
    return replace(saved, camera_motion=footer.camera_motion, camera_warps=warps)


def _read_camera_warps(store: ObjectStore, key: str, frames: int) -> np.ndarray:
    """``(frames, 2, 3)`` float64 warps from the object ``key``.

    Raises:
        DamagedDetectionsError: the object is missing or has another number of frames.
    """
    path = store.location(key)
    if not store.exists(key):
        raise DamagedDetectionsError(
            f"{path}: missing; the detections file says camera motion was saved"
        )
    with store.open(key) as warps_file:
        column = pq.read_table(warps_file, columns=["warp"])["warp"].combine_chunks()
    warps = column.flatten().to_numpy().reshape(-1, 2, 3)
    if len(warps) != frames:
        raise DamagedDetectionsError(
            f"{path}: {len(warps)} camera-motion warps for {frames} frames read"
        )
    return warps


def saved_detection_keys(store: ObjectStore) -> list[str]:
    """The keys of every ``detections/<video>.parquet`` of a run's ``store``, sorted."""
    return store.keys(layout.DETECTIONS, layout.VIDEO_OBJECT_PATTERN)


def read_run_detections(out_dir: str | Path) -> list[SavedDetections]:
    """Every video's saved detections of the run ``out_dir``, in the order of their keys.

    Raises:
        DamagedDetectionsError: one of them cannot be read.
    """
    store = open_store(out_dir)
    return [read_saved_detections(store, key) for key in saved_detection_keys(store)]
