"""ByteTrack (Zhang et al., 2022), step for step as Ultralytics 8.4 runs it, over arrays."""

from __future__ import annotations

from functools import partial

import numpy as np

from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import (
    NO_ROWS,
    FrameMatches,
    TrackBook,
    able_to_start,
    match_low,
    match_unconfirmed,
    score_fused_iou_cost,
)
from tracklake.tracking.track_set import TrackSet
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.types import Detections, Tracks


class ByteTrack(TrackerBase[TrackSet]):
    """ByteTrack for one video (arguments: see ``TrackerBase``)."""

    def __init__(self, config: TrackerConfig, max_lost_frames: int) -> None:
        super().__init__(config, TrackBook("xyah", max_lost_frames))
        self._book.tracks = self._book.new_rows(Detections.empty(), NO_ROWS)

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: high-score detections to the confirmed tracks, low-score ones to
        the tracked ones left, unconfirmed tracks to the high ones left (see ``Tracker.update``
        in ``factory.py``)."""
        book, config = self._book, self.config
        high, low, pool, unconfirmed = book.begin_frame(detections, config)
        cost = partial(score_fused_iou_cost, book, detections, config)

        matches = FrameMatches()
        free_rows, free_high = matches.assign(pool, high, cost, config.match_thresh)
        newly_lost = match_low(book, matches, book.tracked(free_rows), detections, low)
        unmatched_unconfirmed, free_high = match_unconfirmed(matches, unconfirmed, free_high, cost)
        book.correct(*matches.arrays(), detections)
        book.retire(newly_lost, unmatched_unconfirmed)

        starts = able_to_start(detections, free_high, config)
        return book.close_frame(starts, partial(book.new_rows, detections))
