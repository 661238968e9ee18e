"""BoT-SORT (Aharon et al., 2022) as Ultralytics 8.4 runs it: ByteTrack's steps with an
``xywh`` Kalman state, camera-motion compensation and, optionally, appearance embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from tracklake.tracking.appearance import FrameAppearance
from tracklake.tracking.camera_motion import CameraMotionSource
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import (
    NO_ROWS,
    FrameMatches,
    TrackBook,
    able_to_start,
    iou_cost_of,
    match_low,
    match_unconfirmed,
)
from tracklake.tracking.matching import fuse_score
from tracklake.tracking.track_set import TrackSet
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.types import Detections, Tracks

# Weight of a track's past appearance in its running (exponential) mean embedding.
EMBEDDING_MOMENTUM = 0.9


@dataclass(slots=True)
class BoTSORTTrackSet(TrackSet):
    """BoT-SORT's tracks: ``TrackSet``'s columns and the appearance.

    Attributes:
        embedding: ``(T, D)`` float32 L2-normalised running mean embedding (zero: none yet);
            ``D = 0`` without ``with_reid``.
    """

    embedding: np.ndarray


class BoTSORT(TrackerBase[BoTSORTTrackSet]):
    """BoT-SORT for one video (arguments: see ``TrackerBase``)."""

    def __init__(
        self,
        config: TrackerConfig,
        max_lost_frames: int,
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        super().__init__(config, TrackBook("xywh", max_lost_frames), camera_motion)
        self._book.tracks = self._new_rows(
            Detections.empty(), NO_ROWS, np.zeros((0, 0), dtype=np.float32)
        )

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: ByteTrack's associations after camera-motion compensation, by IoU
        lowered to the appearance cost where it is trusted (see ``Tracker.update`` in
        ``factory.py``)."""
        book, config = self._book, self.config
        high, low, pool, unconfirmed = book.begin_frame(detections, config)
        book.move_with_camera(
            self._follow_camera(frame, detections.boxes[high]), np.concatenate([pool, unconfirmed])
        )
        appearance = FrameAppearance.of(detections, config)
        cost = partial(appearance_iou_cost, book, detections, appearance, config)

        matches = FrameMatches()
        free_rows, free_high = matches.assign(pool, high, cost, config.match_thresh)
        newly_lost = match_low(book, matches, book.tracked(free_rows), detections, low)
        unmatched_unconfirmed, free_high = match_unconfirmed(matches, unconfirmed, free_high, cost)
        rows, indices = matches.arrays()
        book.correct(rows, indices, detections)
        if config.with_reid:
            appearance.blend(book.tracks.embedding, rows, indices, EMBEDDING_MOMENTUM)
        book.retire(newly_lost, unmatched_unconfirmed)

        starts = able_to_start(detections, free_high, config)
        new_rows = partial(self._new_rows, detections, embeddings=appearance.embeddings)
        return book.close_frame(starts, new_rows)

    def _new_rows(
        self, detections: Detections, indices: np.ndarray, embeddings: np.ndarray
    ) -> BoTSORTTrackSet:
        """Tracks started at detections ``indices``, with their ``embeddings`` (``(N, D)``)."""
        rows = self._book.new_rows(detections, indices)
        return BoTSORTTrackSet.extending(rows, embedding=embeddings[indices])


def appearance_iou_cost(
    book: TrackBook[BoTSORTTrackSet],
    detections: Detections,
    appearance: FrameAppearance,
    config: TrackerConfig,
    rows: np.ndarray,
    indices: np.ndarray,
) -> np.ndarray:
    """``(R, C)`` BoT-SORT's cost: 1 - IoU (fused with the scores with ``fuse_score``), lowered
    to the appearance cost where appearance is trusted (``FrameAppearance.gate``)."""
    overlap_cost = iou_cost_of(book, detections, rows, indices)
    cost = overlap_cost
    if config.fuse_score:
        cost = fuse_score(cost, detections.scores[indices])
    return appearance.gate(cost, overlap_cost, book.tracks.embedding, rows, indices)
