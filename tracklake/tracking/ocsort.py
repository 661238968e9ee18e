"""OC-SORT (Cao et al., 2023) as Ultralytics 8.4 runs it: ByteTrack plus

- observation-centric momentum (OCM): a cost for a detection off the track's direction;
- observation-centric recovery (OCR): leftovers matched by IoU with the last *observed* box;
- observation-centric re-update (ORU): a track recovered by OCR after a gap has its Kalman
  state replayed through boxes interpolated over the gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracklake.tracking.bytetrack import ByteTrack, FrameMatches
from tracklake.tracking.camera_motion import CameraMotionSource
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.matching import fuse_score, iou_cost
from tracklake.tracking.track_set import LOST, TRACKED, TrackSet
from tracklake.types import Detections


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


class OCSort(ByteTrack):
    """OC-SORT for one video. Without ``use_byte``, low-score detections are ignored."""

    box_format = "xyah"
    _tracks: OCSortTrackSet

    def __init__(
        self,
        config: TrackerConfig,
        max_lost_frames: int,
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        self._history = config.delta_t + 2
        super().__init__(config, max_lost_frames, camera_motion)

    def _cost(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> np.ndarray:
        cost = super()._cost(rows, detections, indices)
        return cost + self.config.inertia * self._direction_cost(rows, detections.boxes[indices])

    def _recover(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """OCR: tracked leftovers first, so that a lost track cannot outbid a tracked one."""
        if not len(indices):
            return rows, indices
        state = self._tracks.state[rows]
        tracked, indices = self._recover_by_observation(
            matches, rows[state == TRACKED], detections, indices
        )
        lost, indices = self._recover_by_observation(
            matches, rows[state == LOST], detections, indices
        )
        return np.concatenate([tracked, lost]), indices

    def _second_association(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, low: np.ndarray
    ) -> np.ndarray:
        if self.config.use_byte:
            return super()._second_association(matches, rows, detections, low)
        return rows

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> OCSortTrackSet:
        rows = super()._new_rows(detections, indices)
        n = len(indices)
        observed = np.zeros((n, self._history, 4), dtype=np.float32)
        observed[:, -1] = detections.boxes[indices]
        observed_frame = np.full((n, self._history), -1, dtype=np.int64)
        observed_frame[:, -1] = self._frame_index
        return OCSortTrackSet.extending(
            rows,
            observed=observed,
            observed_frame=observed_frame,
            direction=np.zeros((n, 2), dtype=np.float32),
            has_direction=np.zeros(n, dtype=bool),
            observed_mean=rows.mean.copy(),
            observed_covariance=rows.covariance.copy(),
            last_observed=observed[:, -1].copy(),
        )

    def _after_update(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> None:
        tracks = self._tracks
        observed = np.concatenate(
            [tracks.observed[rows, 1:], detections.boxes[indices][:, None]], axis=1
        )
        observed_frame = np.concatenate(
            [tracks.observed_frame[rows, 1:], np.full((len(rows), 1), self._frame_index)], axis=1
        )
        tracks.observed[rows] = observed
        tracks.last_observed[rows] = detections.boxes[indices]
        tracks.observed_frame[rows] = observed_frame
        tracks.observed_mean[rows] = tracks.mean[rows]
        tracks.observed_covariance[rows] = tracks.covariance[rows]
        tracks.direction[rows], tracks.has_direction[rows] = _directions(
            observed, observed_frame, self._frame_index - self.config.delta_t
        )

    def _recover_by_observation(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Match ``rows`` to detections ``indices`` by IoU with their last observed box; replay
        the Kalman state of the lost ones matched (ORU)."""
        recovered = FrameMatches()
        free_rows, free_indices = self._match(
            recovered, rows, detections, indices, self._observation_cost, self.config.match_thresh
        )
        matched_rows, matched_indices = recovered.arrays()
        for row, index in zip(matched_rows, matched_indices, strict=True):
            if self._tracks.state[row] == LOST:
                self._replay_gap(row, detections.boxes[index])
        matches.add(matched_rows, matched_indices)
        return free_rows, free_indices

    def _observation_cost(
        self, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> np.ndarray:
        """``(R, C)`` cost by IoU of track ``rows``' last observed boxes (fused with scores)."""
        cost = iou_cost(self._observed_boxes(rows), detections.boxes[indices])
        if self.config.fuse_score:
            cost = fuse_score(cost, detections.scores[indices])
        return cost

    def _observed_boxes(self, rows: np.ndarray) -> np.ndarray:
        """``(R, 4)`` track ``rows``' last observed boxes; the Kalman box where there is none."""
        last = self._tracks.last_observed[rows]
        return np.where(last[:, :1] >= 0, last, self._boxes(rows))

    def _replay_gap(self, row: int, box: np.ndarray) -> None:
        """ORU: from the state at the last observation, predict and correct through boxes
        interpolated between that observation and ``box`` (``x1, y1, x2, y2``), then
        predict to this frame."""
        tracks, kalman = self._tracks, self._kalman
        gap = self._frame_index - tracks.observed_frame[row, -1]
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
        tracks.mean[row : row + 1], tracks.covariance[row : row + 1] = kalman.predict(
            mean, covariance
        )

    def _direction_cost(self, rows: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """OCM: ``(R, C)`` angle, over pi, between each track's direction and the direction
        from its last observed box to each detection's centre; 0 for tracks without one."""
        cost = np.zeros((len(rows), len(boxes)), dtype=np.float32)
        last = self._tracks.last_observed[rows]
        has = self._tracks.has_direction[rows] & (last[:, 0] >= 0)
        if not has.any() or not len(boxes):
            return cost
        rows = rows[has]
        offset = _centres(boxes)[None] - _centres(last[has])[:, None]
        length = np.linalg.norm(offset, axis=2)
        moved = length > 1e-6
        unit = offset / np.where(moved, length, 1)[..., None]
        cosine = np.clip(np.einsum("rcd,rd->rc", unit, self._tracks.direction[rows]), -1.0, 1.0)
        cost[has] = np.where(moved, np.arccos(cosine) / np.pi, 0)
        return cost


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
