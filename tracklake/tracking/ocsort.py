"""OC-SORT (Cao et al., 2023) as Ultralytics 8.4 runs it: ByteTrack's steps plus

- observation-centric momentum (OCM): a cost for a detection off the track's direction;
- observation-centric recovery (OCR): leftovers matched by IoU with the last *observed* box;
- observation-centric re-update (ORU): a track recovered by OCR after a gap has its Kalman
  state replayed through boxes interpolated over the gap.

The OC-SORT pieces here are functions over a ``TrackBook`` of ``OCSortTrackSet`` (or a table
extending it), so that Deep OC-SORT (``deepocsort.py``) runs the same association.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import numpy as np

from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import (
    NO_ROWS,
    Cost,
    FrameMatches,
    TrackBook,
    able_to_start,
    match_low,
    match_unconfirmed,
    score_fused_iou_cost,
)
from tracklake.tracking.matching import fuse_score, iou_cost
from tracklake.tracking.track_set import LOST, TRACKED, TrackSet
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.types import Detections, Tracks


@dataclass(slots=True)
class OCSortTrackSet(TrackSet):
    """OC-SORT's tracks: ``TrackSet``'s columns and the observations.

    Attributes:
        observed: ``(T, K, 4)`` float32 ``x1, y1, x2, y2``: the last ``K = delta_t + 2``
            matched detection boxes, oldest first.
        observed_frame: ``(T, K)`` int64 their frames; -1 where there is none.
        direction: ``(T, 2)`` float32 unit direction of motion (OCM).
        has_direction: ``(T,)`` bool; the track has two observations.
        observed_mean: ``(T, 8)`` float64 Kalman mean after the last match.
        observed_covariance: ``(T, 8, 8)`` float64 Kalman covariance after the last match.
        last_observed: ``(T, 4)`` float32 the last matched detection box, moved with the
            camera since (Deep OC-SORT's camera-motion compensation; else ``observed[:, -1]``).
            As in Ultralytics, a box with ``x1 < 0`` counts as none: recovery (OCR) uses the
            Kalman box instead and the direction cost (OCM) is left out.
    """

    observed: np.ndarray
    observed_frame: np.ndarray
    direction: np.ndarray
    has_direction: np.ndarray
    observed_mean: np.ndarray
    observed_covariance: np.ndarray
    last_observed: np.ndarray


Observed = TypeVar("Observed", bound=OCSortTrackSet)


class OCSort(TrackerBase[OCSortTrackSet]):
    """OC-SORT for one video (arguments: see ``TrackerBase``). Without ``use_byte``,
    low-score detections are ignored."""

    def __init__(self, config: TrackerConfig, max_lost_frames: int) -> None:
        super().__init__(config, TrackBook("xyah", max_lost_frames))
        self._book.tracks = self._new_rows(Detections.empty(), NO_ROWS)

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: OC-SORT's association (``associate``), then the matched tracks'
        observations renewed (see ``Tracker.update`` in ``factory.py``)."""
        book, config = self._book, self.config
        high, low, pool, unconfirmed = book.begin_frame(detections, config)
        costs = OCSortCosts(book, detections, config)
        matches, newly_lost, unmatched_unconfirmed, free_high = associate(
            book,
            detections,
            (high, low, pool, unconfirmed),
            costs.motion,
            costs.observation,
            config,
        )
        rows, indices = matches.arrays()
        book.correct(rows, indices, detections)
        observe(book, rows, detections, indices, config.delta_t)
        book.retire(newly_lost, unmatched_unconfirmed)

        starts = able_to_start(detections, free_high, config)
        return book.close_frame(starts, partial(self._new_rows, detections))

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> OCSortTrackSet:
        rows = self._book.new_rows(detections, indices)
        return OCSortTrackSet.extending(
            rows, **observation_columns(rows, detections, indices, self.config.delta_t)
        )


def associate(
    book: TrackBook[Observed],
    detections: Detections,
    split: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    cost: Cost,
    recovery_cost: Cost,
    config: TrackerConfig,
) -> tuple[FrameMatches, np.ndarray, np.ndarray, np.ndarray]:
    """OC-SORT's association of one frame: confirmed tracks to high-score detections by
    ``cost``; the leftovers by ``recovery_cost`` (OCR, ``recover``); with ``use_byte``, the
    tracked ones still left to low-score detections by IoU; unconfirmed tracks to the high
    ones left by ``cost``.

    Args:
        split: ``high`` and ``low`` detection indices, confirmed and unconfirmed track rows
            (``TrackBook.begin_frame``).

    Returns:
        The matches; the tracked rows left unmatched (they become lost); the unconfirmed rows
        left unmatched; the high-score detections left.
    """
    high, low, pool, unconfirmed = split
    matches = FrameMatches()
    free_rows, free_high = matches.assign(pool, high, cost, config.match_thresh)
    free_rows, free_high = recover(
        book, matches, free_rows, detections, free_high, recovery_cost, config.match_thresh
    )
    newly_lost = book.tracked(free_rows)
    if config.use_byte:
        newly_lost = match_low(book, matches, newly_lost, detections, low)
    unmatched_unconfirmed, free_high = match_unconfirmed(matches, unconfirmed, free_high, cost)
    return matches, newly_lost, unmatched_unconfirmed, free_high


@dataclass(frozen=True)
class OCSortCosts(Generic[Observed]):
    """OC-SORT's costs on one frame: ``(R, C)``, of track rows against detection indices."""

    book: TrackBook[Observed]
    detections: Detections
    config: TrackerConfig

    def motion(self, rows: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """ByteTrack's cost (``score_fused_iou_cost``) plus ``inertia`` times the direction
        cost (OCM, ``direction_cost``)."""
        book, detections, config = self.book, self.detections, self.config
        cost = score_fused_iou_cost(book, detections, config, rows, indices)
        boxes = detections.boxes[indices]
        return cost + config.inertia * direction_cost(book.tracks, rows, boxes)

    def observation(self, rows: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """1 - IoU of the tracks' last observed boxes (``observed_boxes``), fused with the
        scores with ``fuse_score``."""
        cost = self.observed_iou(rows, indices)
        if self.config.fuse_score:
            cost = fuse_score(cost, self.detections.scores[indices])
        return cost

    def observed_iou(self, rows: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """float32 1 - IoU of the tracks' last observed boxes (``observed_boxes``)."""
        return iou_cost(observed_boxes(self.book, rows), self.detections.boxes[indices])


def observed_boxes(book: TrackBook[Observed], rows: np.ndarray) -> np.ndarray:
    """``(R, 4)`` track ``rows``' last observed boxes; the Kalman box where there is none."""
    last = book.tracks.last_observed[rows]
    return np.where(last[:, :1] >= 0, last, book.boxes(rows))


def recover(
    book: TrackBook[Observed],
    matches: FrameMatches,
    rows: np.ndarray,
    detections: Detections,
    indices: np.ndarray,
    cost: Cost,
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """OCR: match the first stage's leftover track ``rows`` to detections ``indices`` by
    ``cost`` (of the last observed boxes) under ``limit``, tracked rows first, so that a lost
    track cannot outbid a tracked one; the lost tracks matched have their Kalman state
    replayed (ORU).

    Returns:
        The rows left (tracked first, then lost) and the detection indices left.
    """
    if not len(indices):
        return rows, indices
    state = book.tracks.state[rows]
    tracked, indices = matches.assign(rows[state == TRACKED], indices, cost, limit)
    recovered = FrameMatches()
    lost, indices = recovered.assign(rows[state == LOST], indices, cost, limit)
    found, found_indices = recovered.arrays()
    for row, index in zip(found, found_indices, strict=True):
        _replay_gap(book, row, detections.boxes[index])
    matches.add(found, found_indices)
    return np.concatenate([tracked, lost]), indices


def observe(
    book: TrackBook[Observed],
    rows: np.ndarray,
    detections: Detections,
    indices: np.ndarray,
    delta_t: int,
) -> None:
    """After track ``rows`` were corrected with detections ``indices``: push the detections'
    boxes onto their observations, keep their corrected Kalman state and renew their
    direction (from ``delta_t`` frames back)."""
    tracks, frame = book.tracks, book.frame
    observed = np.concatenate(
        [tracks.observed[rows, 1:], detections.boxes[indices][:, None]], axis=1
    )
    observed_frame = np.concatenate(
        [tracks.observed_frame[rows, 1:], np.full((len(rows), 1), frame)], axis=1
    )
    tracks.observed[rows] = observed
    tracks.last_observed[rows] = detections.boxes[indices]
    tracks.observed_frame[rows] = observed_frame
    tracks.observed_mean[rows] = tracks.mean[rows]
    tracks.observed_covariance[rows] = tracks.covariance[rows]
    tracks.direction[rows], tracks.has_direction[rows] = _directions(
        observed, observed_frame, frame - delta_t
    )


def observation_columns(
    rows: TrackSet, detections: Detections, indices: np.ndarray, delta_t: int
) -> dict[str, np.ndarray]:
    """``OCSortTrackSet``'s own columns for the tracks ``rows`` (``TrackSet``'s columns) just
    started at detections ``indices``."""
    n, history = len(indices), delta_t + 2
    observed = np.zeros((n, history, 4), dtype=np.float32)
    observed[:, -1] = detections.boxes[indices]
    observed_frame = np.full((n, history), -1, dtype=np.int64)
    observed_frame[:, -1] = rows.start_frame
    return {
        "observed": observed,
        "observed_frame": observed_frame,
        "direction": np.zeros((n, 2), dtype=np.float32),
        "has_direction": np.zeros(n, dtype=bool),
        "observed_mean": rows.mean.copy(),
        "observed_covariance": rows.covariance.copy(),
        "last_observed": observed[:, -1].copy(),
    }


def direction_cost(tracks: OCSortTrackSet, rows: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """OCM: ``(R, C)`` float32 angle, over pi, between each track's direction and the
    direction from its last observed box to the centre of each of ``boxes`` (``(C, 4)``); 0
    for tracks without one."""
    cost = np.zeros((len(rows), len(boxes)), dtype=np.float32)
    last = tracks.last_observed[rows]
    has = tracks.has_direction[rows] & (last[:, 0] >= 0)
    if not has.any() or not len(boxes):
        return cost
    rows = rows[has]
    offset = _centres(boxes)[None] - _centres(last[has])[:, None]
    length = np.linalg.norm(offset, axis=2)
    moved = length > 1e-6
    unit = offset / np.where(moved, length, 1)[..., None]
    cosine = np.clip(np.einsum("rcd,rd->rc", unit, tracks.direction[rows]), -1.0, 1.0)
    cost[has] = np.where(moved, np.arccos(cosine) / np.pi, 0)
    return cost


def _replay_gap(book: TrackBook[Observed], row: int, box: np.ndarray) -> None:
    """ORU: from the state at the last observation, predict and correct through boxes
    interpolated between that observation and ``box`` (``x1, y1, x2, y2``), then
    predict to this frame."""
    tracks, kalman = book.tracks, book.kalman
    gap = book.frame - tracks.observed_frame[row, -1]
    if gap <= 1:
        return
    last = tracks.observed[row, -1].astype(np.float64)
    mean, covariance = (
        tracks.observed_mean[row : row + 1],
        tracks.observed_covariance[row : row + 1],
    )
    for step in range(1, gap):
        fraction = step / gap
        virtual = (1 - fraction) * last + fraction * box
        mean, covariance = kalman.predict(mean, covariance)
        mean, covariance = kalman.update(mean, covariance, kalman.measure(virtual[None]))
    tracks.mean[row : row + 1], tracks.covariance[row : row + 1] = kalman.predict(mean, covariance)


def _centres(boxes: np.ndarray) -> np.ndarray:
    """``(..., 4)`` ``x1, y1, x2, y2`` -> ``(..., 2)`` centres, same dtype."""
    return (boxes[..., :2] + boxes[..., 2:]) / 2


def _directions(
    observed: np.ndarray, observed_frame: np.ndarray, reference_frame: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each track's unit direction from an earlier observation to its newest one.

    The earlier observation is the newest one at or before ``reference_frame`` (``delta_t``
    frames back), else the oldest one kept.

    Args:
        observed: ``(R, K, 4)`` boxes, oldest first, the newest last.
        observed_frame: ``(R, K)`` their frames, -1 where there is none.

    Returns:
        ``(R, 2)`` float32 unit directions (zero for no motion) and ``(R,)`` bool: whether the
        track has two observations.
    """
    earlier = observed_frame[:, :-1]
    exists = earlier >= 0
    old_enough = exists & (earlier <= reference_frame)
    newest_old_enough = old_enough.shape[1] - 1 - np.argmax(old_enough[:, ::-1], axis=1)
    pick = np.where(old_enough.any(axis=1), newest_old_enough, np.argmax(exists, axis=1))
    rows = np.arange(len(observed))
    offset = _centres(observed[:, -1]) - _centres(observed[rows, pick])
    length = np.linalg.norm(offset, axis=1, keepdims=True)
    direction = np.where(length < 1e-6, 0, offset / np.maximum(length, 1e-6))
    return direction.astype(np.float32), np.asarray(exists.any(axis=1))
