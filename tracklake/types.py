"""Core data types shared by every layer: numpy arrays only, validated on construction.

Boxes are always ``xyxy`` in pixels of the original frame, ``float32``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BOX_DTYPE = np.float32
SCORE_DTYPE = np.float32
CLASS_DTYPE = np.int16
TRACK_ID_DTYPE = np.int32
INDEX_DTYPE = np.int32


def _as_array(
    name: str, value: Any, dtype: type[np.generic], shape_tail: tuple[int, ...]
) -> np.ndarray:
    """Convert ``value`` to a read-only array of ``dtype`` whose shape ends with ``shape_tail``."""
    array = np.array(value, dtype=dtype, copy=True)
    if array.size == 0:
        array = array.reshape((0, *shape_tail))
    if array.ndim != 1 + len(shape_tail) or tuple(array.shape[1:]) != shape_tail:
        expected = ", ".join(["N", *map(str, shape_tail)])
        raise ValueError(f"{name} must have shape ({expected}), got {array.shape}")
    array.flags.writeable = False
    return array


def _check_extras(extras: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    checked = {}
    for key, value in extras.items():
        array = np.asarray(value)
        if array.ndim == 0 or len(array) != n:
            raise ValueError(f"extra {key!r} must have {n} rows, got shape {array.shape}")
        checked[key] = array
    return checked


@dataclass(frozen=True)
class VideoRef:
    """One input video.

    Attributes:
        video_id: unique id of the video in the run; becomes its tracks file name.
        path: local path or URI (``s3://``, ``gs://``, ``http(s)://`` without its query) of
            the video file; what every record and message shows.
        extra: manifest columns carried into ``videos.parquet`` (column name -> scalar).
        fetch_query: an ``http(s)://`` URL's query string, needed to fetch it and never
            written anywhere (a presigned URL's query is a credential): not in ``repr``.
    """

    video_id: str
    path: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    fetch_query: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.video_id:
            raise ValueError(f"empty video_id for {self.path!r}")
        if not self.path:
            raise ValueError(f"empty path for video {self.video_id!r}")


RECOVERED = "recovered"  # the extra flagging TrackTrack's second set (``detection.recovery``)


@dataclass(frozen=True)
class Detections:
    """The detections of one frame.

    Attributes:
        boxes: ``(N, 4)`` float32, ``x1, y1, x2, y2`` in pixels of the original frame.
        scores: ``(N,)`` float32 confidences in ``[0, 1]``.
        class_ids: ``(N,)`` int16 class indices of the model.
        extras: per-detection arrays whose first dimension is ``N``: for example
            ``keypoints`` ``(N, K, 3)`` float32, ``embeddings`` ``(N, D)`` float32,
            ``recovered`` (``RECOVERED``) ``(N,)`` bool: the rows of TrackTrack's second set.
    """

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _as_array("boxes", self.boxes, BOX_DTYPE, (4,)))
        object.__setattr__(self, "scores", _as_array("scores", self.scores, SCORE_DTYPE, ()))
        object.__setattr__(
            self, "class_ids", _as_array("class_ids", self.class_ids, CLASS_DTYPE, ())
        )
        n = len(self.boxes)
        if len(self.scores) != n or len(self.class_ids) != n:
            raise ValueError(
                f"boxes, scores and class_ids differ in length: "
                f"{n}, {len(self.scores)}, {len(self.class_ids)}"
            )
        object.__setattr__(self, "extras", _check_extras(self.extras, n))

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.empty((0, 4)), np.empty(0), np.empty(0))

    @classmethod
    def concatenate(cls, parts: Sequence[Detections]) -> Detections:
        """The rows of ``parts`` one after another (their extras must have the same keys)."""
        keys = parts[0].extras.keys()
        return cls(
            np.concatenate([part.boxes for part in parts]),
            np.concatenate([part.scores for part in parts]),
            np.concatenate([part.class_ids for part in parts]),
            {key: np.concatenate([part.extras[key] for part in parts]) for key in keys},
        )

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        """Select rows by a boolean mask or an integer index array."""
        return Detections(
            self.boxes[index],
            self.scores[index],
            self.class_ids[index],
            {key: value[index] for key, value in self.extras.items()},
        )


@dataclass(frozen=True)
class Tracks:
    """The confirmed tracks a tracker reports for one frame.

    Attributes:
        track_ids: ``(M,)`` int32, 1-based, unique within the video.
        boxes: ``(M, 4)`` float32 ``x1, y1, x2, y2`` pixels of the original frame.
        scores: ``(M,)`` float32 score of the detection the track was matched to.
        class_ids: ``(M,)`` int16.
        detection_index: ``(M,)`` int32 row of that frame's ``Detections`` each track
            came from, so extras (keypoints, masks) follow without re-matching.
    """

    track_ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    detection_index: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "track_ids", _as_array("track_ids", self.track_ids, TRACK_ID_DTYPE, ())
        )
        object.__setattr__(self, "boxes", _as_array("boxes", self.boxes, BOX_DTYPE, (4,)))
        object.__setattr__(self, "scores", _as_array("scores", self.scores, SCORE_DTYPE, ()))
        object.__setattr__(
            self, "class_ids", _as_array("class_ids", self.class_ids, CLASS_DTYPE, ())
        )
        object.__setattr__(
            self,
            "detection_index",
            _as_array("detection_index", self.detection_index, INDEX_DTYPE, ()),
        )
        lengths = {
            len(self.track_ids),
            len(self.boxes),
            len(self.scores),
            len(self.class_ids),
            len(self.detection_index),
        }
        if len(lengths) != 1:
            raise ValueError(f"Tracks fields differ in length: {sorted(lengths)}")
        if len(np.unique(self.track_ids)) != len(self.track_ids):
            raise ValueError("track_ids repeat within one frame")

    @classmethod
    def empty(cls) -> Tracks:
        return cls(np.empty(0), np.empty((0, 4)), np.empty(0), np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return len(self.track_ids)


class VideoStatus(enum.StrEnum):
    """How a video's run ended."""

    OK = "ok"
    PARTIAL = "partial"  # decoding stopped early; the frames before the break were tracked
    FAILED = "failed"
    SKIPPED = "skipped"  # already done by an earlier run with the same input and config


@dataclass(frozen=True)
class VideoSummary:
    """One row of ``videos.parquet``: how one input video ended.

    Attributes:
        video_id, path: as in ``VideoRef``.
        status: ok | partial | failed | skipped.
        error: the reason for a failed or partial video; ``""`` when ok.
        frames: frames decoded and tracked (after ``vid_stride``).
        fps, width, height, duration_s: the stream's properties; 0 when it could not be opened.
        detections: detections over all frames.
        tracks: distinct track ids.
        seconds: wall time spent on the video.
        extra: manifest columns, carried through from ``VideoRef.extra``.
        out_of_space: the video failed because ``OUT`` had no space left for it: the job
            stops. Not recorded (``io.summary_record``): it is the job's concern.
    """

    video_id: str
    path: str
    status: VideoStatus
    error: str
    frames: int
    fps: float
    width: int
    height: int
    duration_s: float
    detections: int
    tracks: int
    seconds: float
    extra: Mapping[str, Any] = field(default_factory=dict)
    out_of_space: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", VideoStatus(self.status))
        if self.status in (VideoStatus.FAILED, VideoStatus.PARTIAL) and not self.error:
            raise ValueError(f"a {self.status} video needs an error: {self.video_id!r}")

    @classmethod
    def failed(
        cls, ref: VideoRef, error: str, seconds: float = 0.0, out_of_space: bool = False
    ) -> VideoSummary:
        """The summary of a video that produced no tracks."""
        return cls(
            video_id=ref.video_id,
            path=ref.path,
            status=VideoStatus.FAILED,
            error=error,
            frames=0,
            fps=0.0,
            width=0,
            height=0,
            duration_s=0.0,
            detections=0,
            tracks=0,
            seconds=seconds,
            extra=dict(ref.extra),
            out_of_space=out_of_space,
        )
