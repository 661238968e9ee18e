"""TrackTrack (Shim et al., CVPR 2025) as Ultralytics 8.4 runs it, over arrays.

Each frame, the tracked and lost tracks are matched at once to all detections (high and low
score, low ones at a penalty) by a multi-cue cost (height-modulated IoU, appearance, score
difference, corner directions) with iterative mutual-nearest matching under a shrinking
limit; new tracks are matched to the high detections left; optionally, lost tracks get a
second, looser chance; and a detection starts a track only if track-aware NMS lets it. The
Kalman state is ``xywh``, corrected with the detection's score as its confidence (NSA).

The detections a looser NMS recovers (``extras["recovered"]``, Ultralytics' ``dets_del``:
``detection.recovery``) scoring above ``track_high_thresh`` join the first association last,
at a higher penalty; they neither match new tracks nor start tracks. Boxes without area are
ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from tracklake.tracking.appearance import detection_embeddings, running_embedding
from tracklake.tracking.camera_motion import CameraMotionSource
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import NO_ROWS, TrackBook, has_area, split
from tracklake.tracking.track_set import LOST, NEW, TRACKED, TrackSet
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.tracking.tracktrack_cost import (
    angle_cost,
    corner_directions,
    height_modulated_iou_cost,
    iterative_assignment,
    score_cost,
    track_aware_nms,
)
from tracklake.types import RECOVERED, Detections, Tracks

# Frames back over which corner velocities and directions are measured.
DIRECTION_FRAMES = 3
# Weight of a track's past embedding for a detection scoring 1 (more for less).
EMBEDDING_MOMENTUM = 0.95
# Pairs overlapping less than this IoU cost 1 (cannot match).
MIN_SUPPORT_IOU = 0.10


@dataclass(slots=True)
class TrackTrackSet(TrackSet):
    """TrackTrack's tracks: ``TrackSet``'s columns and its cues.

    Attributes:
        previous_score: ``(T,)`` float32 score before the last match.
        matches: ``(T,)`` int64 matches since the track started or was found again.
        velocity: ``(T, 4, 2)`` float32 mean unit direction of each corner's recent motion.
        history_box: ``(T, K, 4)`` float64 ``x1, y1, x2, y2`` boxes of the last
            ``K = DIRECTION_FRAMES + 1`` matches, oldest first.
        history_frame: ``(T, K)`` int64 their frames; -1: none.
        embedding: ``(T, D)`` float32 L2-normalised running embedding (zero: none yet);
            ``D = 0`` without ``with_reid``.
    """

    previous_score: np.ndarray
    matches: np.ndarray
    velocity: np.ndarray
    history_box: np.ndarray
    history_frame: np.ndarray
    embedding: np.ndarray


class TrackTrack(TrackerBase[TrackTrackSet]):
    """TrackTrack for one video (arguments: see ``TrackerBase``): ``TrackBook``'s
    lifecycle (prediction, expiry, duplicate removal, IDs, report) with an association of its
    own."""

    def __init__(
        self,
        config: TrackerConfig,
        max_lost_frames: int,
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        super().__init__(config, TrackBook("xywh", max_lost_frames), camera_motion)
        self._embeddings = np.zeros((0, 0), dtype=np.float32)  # this frame's, see update
        self._book.tracks = self._new_rows(Detections.empty(), NO_ROWS)

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: all tracks against all detections by the multi-cue cost, new
        tracks against the high ones left, a second chance for lost tracks, then track-aware
        NMS for starts (see ``Tracker.update`` in ``factory.py``)."""
        book, config, tracks = self._book, self.config, self._book.tracks
        book.frame += 1
        boxes, scores = detections.boxes, detections.scores
        high, low, recovered = candidate_sets(detections, config)
        self._embeddings = self._high_embeddings(detections, high)
        unconfirmed = np.flatnonzero(tracks.state == NEW)
        pool = np.flatnonzero(tracks.state != NEW)
        was_lost = tracks.state == LOST
        everyone = np.arange(len(tracks))
        book.move_with_camera(self._follow_camera(frame, boxes[high]), everyone)
        book.predict(everyone)
        cost = partial(multi_cue_cost, book, detections, self._embeddings, config)

        # All tracks against all detections, low and recovered ones at penalties.
        candidates = np.concatenate([high, low, recovered])
        first_cost = cost(pool, candidates)
        first_cost[:, len(high) : len(high) + len(low)] += config.penalty_p
        first_cost[:, len(high) + len(low) :] += config.penalty_q
        pairs, free_rows, free_columns = iterative_assignment(
            np.clip(first_cost, 0, 1), config.match_thresh, config.reduce_step
        )
        matched, found = pool[pairs[:, 0]], candidates[pairs[:, 1]]
        unmatched = pool[free_rows]
        self._correct(matched, found, detections)
        newly_lost = unmatched[~was_lost[unmatched]]
        active = matched[~was_lost[matched]]

        # New tracks against the high detections left.
        leftover = candidates[free_columns[free_columns < len(high)]]
        dropped = unconfirmed
        if len(unconfirmed) and len(leftover):
            pairs, free_rows, free_columns = iterative_assignment(
                cost(unconfirmed, leftover), config.match_thresh, config.reduce_step
            )
            self._correct(unconfirmed[pairs[:, 0]], leftover[pairs[:, 1]], detections)
            active = np.concatenate([active, unconfirmed[pairs[:, 0]]])
            dropped = unconfirmed[free_rows]
            leftover = leftover[free_columns]

        # A looser second chance for tracks lost before this frame.
        still_lost = unmatched[was_lost[unmatched]]
        if config.lost_match_thr > 0 and len(leftover) and len(still_lost):
            pairs, _, free_columns = iterative_assignment(
                cost(still_lost, leftover), config.lost_match_thr, config.reduce_step
            )
            self._correct(still_lost[pairs[:, 0]], leftover[pairs[:, 1]], detections)
            leftover = leftover[free_columns]

        nms = track_aware_nms(
            book.boxes(active),
            boxes[leftover],
            scores[leftover],
            config.tai_thr,
            config.new_track_thresh,
        )
        book.retire(newly_lost, dropped)
        starts = leftover[nms]
        return book.close_frame(starts, partial(self._new_rows, detections))

    def _correct(self, rows: np.ndarray, indices: np.ndarray, detections: Detections) -> None:
        """Correct track ``rows`` with detections ``indices``: a tracked or new track is
        updated (its velocity too; a new one is tracked from its ``min_track_len``-th match),
        a lost one is found again."""
        if not len(rows):
            return
        tracks, kalman, frame = self._book.tracks, self._book.kalman, self._book.frame
        found = tracks.state[rows] == LOST
        boxes, scores = detections.boxes[indices], detections.scores[indices]
        tracks.previous_score[rows] = tracks.score[rows]
        mean, covariance = kalman.update(
            tracks.mean[rows], tracks.covariance[rows], kalman.measure(boxes), confidence=scores
        )
        tracks.mean[rows], tracks.covariance[rows] = mean, covariance
        # A found track remembers its corrected box; an updated one its detection's.
        self._remember(rows, np.where(found[:, None], kalman.to_xyxy(mean), boxes))
        updated = rows[~found]
        if len(updated):
            tracks.velocity[updated] = self._velocities(updated, boxes[~found])
        tracks.score[rows] = scores
        if self.config.with_reid:
            tracks.embedding[rows] = running_embedding(
                tracks.embedding[rows],
                self._embeddings[indices],
                EMBEDDING_MOMENTUM + (1 - EMBEDDING_MOMENTUM) * (1 - scores.astype(np.float64)),
            )
        tracks.matches[rows] = np.where(found, 0, tracks.matches[rows] + 1)
        promoted = found | (tracks.state[rows] == TRACKED)
        promoted |= tracks.matches[rows] + 1 >= self.config.min_track_len
        tracks.state[rows[promoted]] = TRACKED
        tracks.confirmed[rows[promoted]] = True
        tracks.class_id[rows] = detections.class_ids[indices]
        tracks.detection_index[rows] = indices
        tracks.last_frame[rows] = frame

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> TrackTrackSet:
        """Tracks started at detections ``indices``: new, or tracked at once when
        ``min_track_len`` is 1 (confirmed at once on a video's first frame too)."""
        book = self._book
        rows = book.new_rows(detections, indices)
        n = len(indices)
        tracked = self.config.min_track_len <= 1
        rows.state[:] = TRACKED if tracked else NEW
        rows.confirmed[:] = tracked or book.frame == 1
        history_box = np.zeros((n, DIRECTION_FRAMES + 1, 4))
        history_box[:, -1] = book.kalman.to_xyxy(rows.mean)
        history_frame = np.full((n, DIRECTION_FRAMES + 1), -1, dtype=np.int64)
        history_frame[:, -1] = book.frame
        return TrackTrackSet.extending(
            rows,
            previous_score=rows.score.copy(),
            matches=np.zeros(n, dtype=np.int64),
            velocity=np.zeros((n, 4, 2), dtype=np.float32),
            history_box=history_box,
            history_frame=history_frame,
            embedding=self._embeddings[indices],
        )

    def _high_embeddings(self, detections: Detections, high: np.ndarray) -> np.ndarray:
        """``(N, D)`` embeddings of this frame's detections, zero but for the high ones (only
        those carry appearance in TrackTrack); ``D = 0`` without ``with_reid``."""
        if not self.config.with_reid:
            return np.zeros((len(detections), 0), dtype=np.float32)
        embeddings = detection_embeddings(detections)
        kept = np.zeros_like(embeddings)
        kept[high] = embeddings[high]
        return kept

    def _remember(self, rows: np.ndarray, boxes: np.ndarray) -> None:
        """Push ``(R, 4)`` boxes, seen on this frame, onto track ``rows``' histories."""
        tracks = self._book.tracks
        tracks.history_box[rows] = np.concatenate(
            [tracks.history_box[rows, 1:], boxes[:, None]], axis=1
        )
        tracks.history_frame[rows] = np.concatenate(
            [tracks.history_frame[rows, 1:], np.full((len(rows), 1), self._book.frame)], axis=1
        )

    def _velocities(self, rows: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """``(R, 4, 2)`` float32: the corner directions from each of the last
        ``DIRECTION_FRAMES`` frames' boxes to ``boxes``, weighted by 1 / frames back, averaged
        (a frame without a box counts as no motion)."""
        velocity = np.zeros((len(rows), 4, 2), dtype=np.float32)
        for back in range(1, DIRECTION_FRAMES + 1):
            past = past_boxes(self._book.tracks, rows, self._book.frame - back)
            velocity += corner_directions(boxes, past) / back
        return velocity / DIRECTION_FRAMES


def candidate_sets(
    detections: Detections, config: TrackerConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the ``(high, low, recovered)`` detections: ``split``'s high and low among
    those the NMS kept, and the recovered ones scoring above ``track_high_thresh``."""
    high, low = split(detections, config)
    flags = detections.extras.get(RECOVERED)
    if flags is None:
        return high, low, NO_ROWS
    above = detections.scores > config.track_high_thresh
    recovered = np.flatnonzero(flags & has_area(detections.boxes) & above)
    return high[~flags[high]], low[~flags[low]], recovered


def multi_cue_cost(
    book: TrackBook[TrackTrackSet],
    detections: Detections,
    embeddings: np.ndarray,
    config: TrackerConfig,
    rows: np.ndarray,
    indices: np.ndarray,
) -> np.ndarray:
    """``(R, C)`` float32 in [0, 1], TrackTrack's cost of track ``rows`` and detections
    ``indices``: height-modulated IoU cost (averaged with the appearance cost where both sides
    have an embedding; ``embeddings`` ``(N, D)`` this frame's), plus the score and
    corner-direction costs; 1 where the boxes overlap by ``MIN_SUPPORT_IOU`` or less."""
    tracks = book.tracks
    if not len(rows) or not len(indices):
        return np.ones((len(rows), len(indices)), dtype=np.float32)
    boxes = detections.boxes[indices]
    overlap, cost = height_modulated_iou_cost(book.boxes(rows), boxes)
    if config.with_reid:
        track_embeddings = tracks.embedding[rows]
        candidate_embeddings = embeddings[indices]
        appearance = np.clip(1 - track_embeddings @ candidate_embeddings.T, 0, 1)
        known = track_embeddings.any(axis=1)[:, None] & candidate_embeddings.any(axis=1)[None, :]
        cost = np.where(
            known, config.iou_weight * cost + config.reid_weight * appearance, cost
        ).astype(np.float32)
    scores = detections.scores[indices]
    cost += config.conf_weight * score_cost(tracks.score[rows], tracks.previous_score[rows], scores)
    supported = overlap > MIN_SUPPORT_IOU
    p, q = np.nonzero(supported)
    if len(p):
        past = past_boxes(tracks, rows[p], book.frame - DIRECTION_FRAMES)
        cost[p, q] += config.angle_weight * angle_cost(
            tracks.velocity[rows[p]], past, boxes[q], scores[q]
        )
    cost[~supported] = 1.0
    return np.clip(cost, 0, 1)


def past_boxes(tracks: TrackTrackSet, rows: np.ndarray, frame: int) -> np.ndarray:
    """``(R, 4)`` each of track ``rows``' box remembered for ``frame``, else its newest."""
    at_frame = tracks.history_frame[rows] == frame
    slot = np.where(at_frame.any(axis=1), np.argmax(at_frame, axis=1), -1)
    return tracks.history_box[rows, slot]
