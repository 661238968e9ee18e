"""FastTracker (Hashempoor et al., 2025) as Ultralytics 8.4 runs it: ByteTrack's steps plus

- occlusion: a tracked track left unmatched whose box is mostly covered by a matched one is
  occluded; its Kalman state goes back to a few corrections before, with its box enlarged and
  its velocity damped, once;
- patience: an unmatched tracked track stays tracked (unreported) for two frames, an occluded
  one for up to ``active_occ_to_lost_thresh``, before it is lost; a track lost while occluded is
  kept for ``occ_reappear_window`` frames after the occlusion even past ``track_buffer``;
- no duplicates: a detection overlapping a tracked box by ``init_iou_suppress`` starts no track.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from tracklake.tracking.matching import coverage, iou
from tracklake.tracking.track_set import LOST, TRACKED, TrackSet
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.types import Detections, Tracks

# Frames an unmatched, unoccluded tracked track stays tracked before it is lost.
PATIENCE_FRAMES = 2
# Kalman states kept beyond the furthest one an occlusion goes back to.
HISTORY_SLACK = 4


@dataclass(slots=True)
class FastTrackSet(TrackSet):
    """FastTracker's tracks: ``TrackSet``'s columns, the Kalman history and the occlusion.

    Attributes:
        history_mean: ``(T, H, 8)`` float64 Kalman means after the last ``H`` corrections (and
            the start), oldest first; the newest ``history_length`` are real.
        history_covariance: ``(T, H, 8, 8)`` float64 their covariances.
        history_length: ``(T,)`` int64 states kept, at most ``H``.
        not_matched: ``(T,)`` int64 frames since the last match while tracked.
        occluded: ``(T,)`` bool; hidden behind a matched track.
        occluded_frames: ``(T,)`` int64 frames occluded so far.
        occluded_frame: ``(T,)`` int64 frame the last occlusion began; -1: never.
        recently_occluded: ``(T,)`` bool; occluded less than ``occ_reappear_window`` ago.
    """

    history_mean: np.ndarray
    history_covariance: np.ndarray
    history_length: np.ndarray
    not_matched: np.ndarray
    occluded: np.ndarray
    occluded_frames: np.ndarray
    occluded_frame: np.ndarray
    recently_occluded: np.ndarray


class FastTrack(TrackerBase[FastTrackSet]):
    """FastTracker for one video (arguments: see ``TrackerBase``)."""

    def __init__(self, config: TrackerConfig, max_lost_frames: int) -> None:
        super().__init__(config, TrackBook("xyah", max_lost_frames))
        self._history = (
            max(config.reset_velocity_offset_occ, config.reset_pos_offset_occ) + HISTORY_SLACK
        )
        self._book.tracks = self._new_rows(Detections.empty(), NO_ROWS)

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: ByteTrack's associations with occluded tracks rolled back and kept,
        then starts that overlap a track suppressed (see ``Tracker.update`` in ``factory.py``)."""
        book, config, tracks = self._book, self.config, self._book.tracks
        high, low, pool, unconfirmed = book.begin_frame(detections, config)
        cost = partial(score_fused_iou_cost, book, detections, config)

        matches = FrameMatches()
        free_rows, free_high = matches.assign(pool, high, cost, config.match_thresh)
        newly_lost = self._second_association(matches, free_rows, detections, low)
        unmatched_unconfirmed, free_high = match_unconfirmed(matches, unconfirmed, free_high, cost)
        rows, indices = matches.arrays()
        found = rows[tracks.state[rows] == LOST]
        book.correct(rows, indices, detections)
        self._after_correct(rows, found)
        recently_occluded = tracks.recently_occluded & (
            book.frame - tracks.occluded_frame <= config.occ_reappear_window
        )
        book.retire(newly_lost, unmatched_unconfirmed, spared=recently_occluded)

        starts = self._suppress(detections, able_to_start(detections, free_high, config))
        return book.close_frame(starts, partial(self._new_rows, detections))

    def _second_association(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, low: np.ndarray
    ) -> np.ndarray:
        """ByteTrack's (``match_low``) of the first stage's leftover ``rows``; of the tracked
        tracks still unmatched, the occluded ones are rolled back (``_occlude``). Returns the
        rows that become lost."""
        book = self._book
        unmatched = match_low(book, matches, book.tracked(rows), detections, low)
        if not len(unmatched):
            return unmatched
        return self._occlude(unmatched, self._matched_tracked_boxes(matches, detections))

    def _suppress(self, detections: Detections, candidates: np.ndarray) -> np.ndarray:
        """Of the unmatched detections ``candidates`` scoring enough to start a track, those
        that do: in order, a candidate overlapping a tracked box or an earlier start by at
        least ``init_iou_suppress`` is dropped."""
        limit = self.config.init_iou_suppress
        if limit >= 1.0 or not len(candidates):
            return candidates
        book = self._book
        taken = list(book.boxes(np.flatnonzero(book.tracks.state == TRACKED)).astype(np.float32))
        starts = []
        for index in candidates:
            box = detections.boxes[index : index + 1]
            if taken and iou(box, np.array(taken)).max() >= limit:
                continue
            starts.append(index)
            taken.append(box[0].astype(np.float32))
        return np.array(starts, dtype=candidates.dtype)

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> FastTrackSet:
        rows = self._book.new_rows(detections, indices)
        n = len(indices)
        history_mean = np.zeros((n, self._history, 8))
        history_mean[:, -1] = rows.mean
        history_covariance = np.zeros((n, self._history, 8, 8))
        history_covariance[:, -1] = rows.covariance
        return FastTrackSet.extending(
            rows,
            history_mean=history_mean,
            history_covariance=history_covariance,
            history_length=np.ones(n, dtype=np.int64),
            not_matched=np.zeros(n, dtype=np.int64),
            occluded=np.zeros(n, dtype=bool),
            occluded_frames=np.zeros(n, dtype=np.int64),
            occluded_frame=np.full(n, -1, dtype=np.int64),
            recently_occluded=np.zeros(n, dtype=bool),
        )

    def _after_correct(self, rows: np.ndarray, found: np.ndarray) -> None:
        """After track ``rows`` were corrected (``found``: those that were lost): push their
        Kalman states onto their histories; none is occluded or unmatched any more, and the
        found ones forget their last occlusion."""
        tracks = self._book.tracks
        tracks.history_mean[rows] = np.concatenate(
            [tracks.history_mean[rows, 1:], tracks.mean[rows, None]], axis=1
        )
        tracks.history_covariance[rows] = np.concatenate(
            [tracks.history_covariance[rows, 1:], tracks.covariance[rows, None]], axis=1
        )
        tracks.history_length[rows] = np.minimum(tracks.history_length[rows] + 1, self._history)
        tracks.occluded[rows] = False
        tracks.not_matched[rows] = 0
        tracks.occluded_frames[rows] = 0
        tracks.recently_occluded[found] = False
        tracks.occluded_frame[found] = -1

    def _matched_tracked_boxes(self, matches: FrameMatches, detections: Detections) -> np.ndarray:
        """``(K, 4)`` boxes that the tracked (not lost) tracks matched so far will have once
        corrected with their detections."""
        tracks, kalman = self._book.tracks, self._book.kalman
        rows, indices = matches.arrays()
        tracked = tracks.state[rows] == TRACKED
        rows, indices = rows[tracked], indices[tracked]
        mean, _ = kalman.update(
            tracks.mean[rows], tracks.covariance[rows], kalman.measure(detections.boxes[indices])
        )
        return kalman.to_xyxy(mean)

    def _occlude(self, rows: np.ndarray, matched_boxes: np.ndarray) -> np.ndarray:
        """Tracked ``rows`` left unmatched: find the occluded ones (covered by
        ``matched_boxes``), roll their state back, and return the rows that become lost."""
        config, book = self.config, self._book
        tracks, frame = book.tracks, book.frame
        tracks.not_matched[rows] += 1
        covered = np.zeros(len(rows), dtype=bool)
        if len(matched_boxes):
            covered = (
                coverage(matched_boxes, book.boxes(rows)).max(axis=0) > config.occ_cover_thresh
            )
        onset = covered & ~tracks.occluded[rows]
        tracks.occluded_frames[rows[~onset & tracks.occluded[rows]]] += 1
        self._roll_back(rows[onset])
        tracks.occluded[rows[onset]] = True
        tracks.occluded_frames[rows[onset]] = 1
        tracks.occluded_frame[rows[onset]] = frame
        tracks.recently_occluded[rows[onset]] = True
        stale = frame - tracks.occluded_frame[rows] > config.occ_reappear_window
        tracks.recently_occluded[rows[stale]] = False
        patient = tracks.occluded[rows] & (
            tracks.occluded_frames[rows] <= config.active_occ_to_lost_thresh
        )
        return rows[(tracks.not_matched[rows] > PATIENCE_FRAMES) & ~patient]

    def _roll_back(self, rows: np.ndarray) -> None:
        """Occlusion onset: velocity from ``reset_velocity_offset_occ`` corrections back, box
        and covariance from ``reset_pos_offset_occ`` back (each if kept); then the height
        scaled by ``enlarge_bbox_occ`` and the velocity by ``dampen_motion_occ``."""
        config, tracks = self.config, self._book.tracks
        mean = tracks.mean[rows]
        covariance = tracks.covariance[rows]
        length = tracks.history_length[rows]
        back = config.reset_velocity_offset_occ
        has = length >= back
        mean[has, 4:] = tracks.history_mean[rows[has], -back, 4:]
        back = config.reset_pos_offset_occ
        has = length >= back
        mean[has, :4] = tracks.history_mean[rows[has], -back, :4]
        covariance[has] = tracks.history_covariance[rows[has], -back]
        mean[:, 3] *= config.enlarge_bbox_occ
        mean[:, 4:] *= config.dampen_motion_occ
        tracks.mean[rows] = mean
        tracks.covariance[rows] = covariance
