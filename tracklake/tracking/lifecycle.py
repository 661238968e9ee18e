"""The track lifecycle every tracker shares, over its table of tracks (``TrackSet``).

A ``TrackBook`` owns one video's tracks, Kalman filter, frame counter and ID counter, and does
the steps all trackers take on a frame: predict, correct with matched detections, lose and
expire, start, drop duplicates, number newly confirmed tracks and report. ``FrameMatches``
records one frame's associations; ``split`` and the IoU costs are the ByteTrack pieces that
most trackers use as they are. The trackers (``bytetrack.py`` and its siblings) call these in
their ``update``, in order, with their own steps in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

import numpy as np

from tracklake.tracking.camera_motion import warp_xywh_states
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.kalman import BoxFormat, KalmanFilter
from tracklake.tracking.matching import fuse_score, iou_cost, linear_assignment
from tracklake.tracking.track_set import LOST, TRACKED, TrackSet
from tracklake.types import Detections, Tracks

# Cost limits of the second association (low-score detections, IoU only) and of the
# association of unconfirmed tracks, fixed in ByteTrack and Ultralytics.
SECOND_MATCH_THRESH = 0.5
UNCONFIRMED_MATCH_THRESH = 0.7
# A tracked and a lost track whose boxes overlap more than this are one object: the
# younger of the two is dropped.
DUPLICATE_IOU = 0.85

NO_ROWS = np.empty(0, dtype=np.int64)

# ``cost(rows, indices)``: ``(R, C)`` cost of matching track ``rows`` to detections ``indices``.
Cost = Callable[[np.ndarray, np.ndarray], np.ndarray]

Table = TypeVar("Table", bound=TrackSet)


@dataclass
class FrameMatches:
    """The (track row, detection index) pairs one frame's association stages found."""

    rows: list[np.ndarray] = field(default_factory=list)
    detections: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, detections: np.ndarray) -> None:
        self.rows.append(rows)
        self.detections.append(detections)

    def assign(
        self, rows: np.ndarray, indices: np.ndarray, cost: Cost, limit: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Assign track ``rows`` to detections ``indices`` by ``cost(rows, indices)``
        (computed only when neither side is empty), leaving out pairs costing ``limit`` or
        more; record the pairs and return the unmatched rows and detection indices."""
        if not len(rows) or not len(indices):
            return rows, indices
        pairs, free_rows, free_columns = linear_assignment(cost(rows, indices), limit)
        self.add(rows[pairs[:, 0]], indices[pairs[:, 1]])
        return rows[free_rows], indices[free_columns]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(K,)`` track rows and ``(K,)`` detection indices."""
        if not self.rows:
            return NO_ROWS, NO_ROWS
        return np.concatenate(self.rows), np.concatenate(self.detections)


def able_to_start(
    detections: Detections, candidates: np.ndarray, config: TrackerConfig
) -> np.ndarray:
    """Of the unmatched high detections ``candidates``, those scoring at least
    ``new_track_thresh``: the ones that start tracks."""
    return candidates[detections.scores[candidates] >= config.new_track_thresh]


def has_area(boxes: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: which of ``(N, 4)`` ``x1, y1, x2, y2`` boxes have an area."""
    return (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])


def split(detections: Detections, config: TrackerConfig) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``(high, low)`` score detections; boxes without area are neither."""
    scores, sized = detections.scores, has_area(detections.boxes)
    high = np.flatnonzero(sized & (scores >= config.track_high_thresh))
    low = np.flatnonzero(
        sized & (scores > config.track_low_thresh) & (scores < config.track_high_thresh)
    )
    return high, low


class TrackBook(Generic[Table]):
    """One video's tracks and what every tracker does with them.

    IDs start at 1 and are given when a track is confirmed, so they are dense and do not
    depend on anything else in the process.

    Args:
        box_format: the Kalman state's box format.
        max_lost_frames: ``track_buffer`` in this video's frames. As in Ultralytics, a lost
            track can still be recovered after ``max_lost_frames + 1`` frames without a match
            (see ``expire``).

    Attributes:
        tracks: the table, of the tracker's own class; the tracker sets it (empty) once built.
        kalman: the filter.
        frame: 1-based index of the frame being tracked (0 before the first).
    """

    tracks: Table

    def __init__(self, box_format: BoxFormat, max_lost_frames: int) -> None:
        self.kalman = KalmanFilter(box_format)
        self.max_lost_frames = max_lost_frames
        self.frame = 0
        self._next_id = 1

    def __len__(self) -> int:
        """Tracks held: tracked, unconfirmed and lost."""
        return len(self.tracks)

    def begin_frame(
        self, detections: Detections, config: TrackerConfig
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """ByteTrack's opening of a frame: count it, split the detections by score and predict
        the confirmed tracks.

        Returns:
            ``high`` and ``low`` detection indices (see ``split``), the confirmed track rows
            (predicted) and the unconfirmed ones.
        """
        self.frame += 1
        high, low = split(detections, config)
        pool = np.flatnonzero(self.tracks.confirmed)
        unconfirmed = np.flatnonzero(~self.tracks.confirmed)
        self.predict(pool)
        return high, low, pool, unconfirmed

    def new_rows(self, detections: Detections, indices: np.ndarray) -> TrackSet:
        """``TrackSet``'s columns for tracks started on this frame at detections ``indices``;
        a tracker extends them with its own (``TrackSet.extending``)."""
        n = len(indices)
        kalman = self.kalman
        mean, covariance = kalman.initiate(kalman.measure(detections.boxes[indices]))
        return TrackSet(
            track_id=np.zeros(n, dtype=np.int32),
            confirmed=np.full(n, self.frame == 1),
            state=np.full(n, TRACKED, dtype=np.int8),
            mean=mean,
            covariance=covariance,
            score=detections.scores[indices],
            class_id=detections.class_ids[indices],
            detection_index=indices.astype(np.int32),
            start_frame=np.full(n, self.frame, dtype=np.int64),
            last_frame=np.full(n, self.frame, dtype=np.int64),
            expired=np.zeros(n, dtype=bool),
        )

    def boxes(self, rows: np.ndarray) -> np.ndarray:
        """``(R, 4)`` float64 ``x1, y1, x2, y2`` boxes of track ``rows``."""
        return self.kalman.to_xyxy(self.tracks.mean[rows])

    def tracked(self, rows: np.ndarray) -> np.ndarray:
        """Those of track ``rows`` that are tracked (not lost)."""
        return rows[self.tracks.state[rows] == TRACKED]

    def predict(self, rows: np.ndarray) -> None:
        """Advance track ``rows`` by one frame; a track not tracked keeps its box's size."""
        tracks = self.tracks
        mean = tracks.mean[rows]
        still = tracks.state[rows] != TRACKED
        mean[np.ix_(still, self.kalman.size_velocity)] = 0
        tracks.mean[rows], tracks.covariance[rows] = self.kalman.predict(
            mean, tracks.covariance[rows]
        )

    def move_with_camera(self, warp: np.ndarray | None, rows: np.ndarray) -> None:
        """Move track ``rows``, of an ``xywh`` state, by the camera's ``(2, 3)`` affine
        ``warp``; nothing when None (not compensating)."""
        if warp is None:
            return
        tracks = self.tracks
        tracks.mean[rows], tracks.covariance[rows] = warp_xywh_states(
            warp, tracks.mean[rows], tracks.covariance[rows]
        )

    def correct(self, rows: np.ndarray, indices: np.ndarray, detections: Detections) -> None:
        """Correct track ``rows`` with their detections ``indices`` in one batched Kalman
        update; they are tracked, confirmed and take the detections' score and class."""
        tracks, kalman = self.tracks, self.kalman
        mean, covariance = kalman.update(
            tracks.mean[rows], tracks.covariance[rows], kalman.measure(detections.boxes[indices])
        )
        tracks.mean[rows] = mean
        tracks.covariance[rows] = covariance
        tracks.state[rows] = TRACKED
        tracks.confirmed[rows] = True
        tracks.score[rows] = detections.scores[indices]
        tracks.class_id[rows] = detections.class_ids[indices]
        tracks.detection_index[rows] = indices
        tracks.last_frame[rows] = self.frame

    def retire(
        self, newly_lost: np.ndarray, dropped: np.ndarray, spared: np.ndarray | None = None
    ) -> None:
        """The end of matching: tracks ``newly_lost`` are lost, rows ``dropped`` deleted, and
        lost tracks whose buffer has run out expire, with Ultralytics' timing: a track lost
        for more than ``max_lost_frames`` frames expires, yet can still be recovered on the
        next frame; if not, it is deleted then, and if so, it is deleted when next lost.

        Args:
            newly_lost: rows that became lost on this frame (they cannot expire on it).
            dropped: rows to delete (unconfirmed tracks left unmatched).
            spared: ``(T,)`` bool, tracks that do not expire on this frame (FastTrack's
                recently occluded ones); None: none.
        """
        tracks = self.tracks
        tracks.state[newly_lost] = LOST
        keep = np.ones(len(tracks), dtype=bool)
        keep[dropped] = False
        lost = tracks.state == LOST
        keep &= ~(lost & tracks.expired)
        lost[newly_lost] = False
        if spared is not None:
            lost &= ~spared
        tracks.expired[lost & (self.frame - tracks.last_frame > self.max_lost_frames)] = True
        tracks.keep(keep)

    def close_frame(self, starts: np.ndarray, new_rows: Callable[[np.ndarray], Table]) -> Tracks:
        """Start tracks at detections ``starts`` (their rows made by ``new_rows(starts)``),
        drop duplicate tracks, number the newly confirmed ones and report this frame's.

        Returns:
            The confirmed tracks matched on this frame, by ``track_id``. Boxes are the Kalman
            filter's corrected boxes (as Ultralytics reports them); ``detection_index`` is
            the row of the frame's detections each track was matched to.
        """
        if len(starts):
            self.tracks.append(new_rows(starts))
        self._remove_duplicates()
        self._assign_ids()
        return self._report()

    def _remove_duplicates(self) -> None:
        """Of a tracked and a lost track on the same object, drop the one matched over fewer
        frames (the tracked one on a tie)."""
        tracks = self.tracks
        tracked = np.flatnonzero(tracks.state != LOST)
        lost = np.flatnonzero(tracks.state == LOST)
        if not len(tracked) or not len(lost):
            return
        cost = iou_cost(self.boxes(tracked), self.boxes(lost))
        p, q = np.nonzero(cost < 1 - DUPLICATE_IOU)
        age = tracks.last_frame - tracks.start_frame
        tracked_older = age[tracked[p]] > age[lost[q]]
        keep = np.ones(len(tracks), dtype=bool)
        keep[lost[q[tracked_older]]] = False
        keep[tracked[p[~tracked_older]]] = False
        tracks.keep(keep)

    def _assign_ids(self) -> None:
        tracks = self.tracks
        new = np.flatnonzero(tracks.confirmed & (tracks.track_id == 0))
        tracks.track_id[new] = np.arange(self._next_id, self._next_id + len(new))
        self._next_id += len(new)

    def _report(self) -> Tracks:
        tracks = self.tracks
        rows = np.flatnonzero(tracks.confirmed & (tracks.last_frame == self.frame))
        rows = rows[np.argsort(tracks.track_id[rows])]
        return Tracks(
            tracks.track_id[rows],
            self.boxes(rows),
            tracks.score[rows],
            tracks.class_id[rows],
            tracks.detection_index[rows],
        )


def iou_cost_of(
    book: TrackBook[Table], detections: Detections, rows: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """``(R, C)`` float32 1 - IoU of track ``rows``' boxes and detections ``indices``."""
    return iou_cost(book.boxes(rows), detections.boxes[indices])


def score_fused_iou_cost(
    book: TrackBook[Table],
    detections: Detections,
    config: TrackerConfig,
    rows: np.ndarray,
    indices: np.ndarray,
) -> np.ndarray:
    """``(R, C)`` ByteTrack's cost: ``iou_cost_of``, weighed by the detections' scores with
    ``fuse_score``."""
    cost = iou_cost_of(book, detections, rows, indices)
    if config.fuse_score:
        cost = fuse_score(cost, detections.scores[indices])
    return cost


def match_low(
    book: TrackBook[Table],
    matches: FrameMatches,
    rows: np.ndarray,
    detections: Detections,
    low: np.ndarray,
) -> np.ndarray:
    """ByteTrack's second association: tracked ``rows`` left over matched to the low-score
    detections ``low`` by IoU; returns the rows that stay unmatched (they become lost)."""
    iou = partial(iou_cost_of, book, detections)
    unmatched, _ = matches.assign(rows, low, iou, SECOND_MATCH_THRESH)
    return unmatched


def match_unconfirmed(
    matches: FrameMatches, rows: np.ndarray, indices: np.ndarray, cost: Cost
) -> tuple[np.ndarray, np.ndarray]:
    """ByteTrack's last association: unconfirmed track ``rows`` matched to the high-score
    detections ``indices`` left, by ``cost`` under ``UNCONFIRMED_MATCH_THRESH``; returns the
    rows (they are deleted) and detection indices left unmatched."""
    return matches.assign(rows, indices, cost, UNCONFIRMED_MATCH_THRESH)
