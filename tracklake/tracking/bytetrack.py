"""ByteTrack (Zhang et al., 2022), step for step as Ultralytics 8.4 runs it, over arrays.

BoT-SORT and OC-SORT are ByteTrack with other costs and extra steps; they override the
hooks marked "Hook" below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tracklake.tracking.camera_motion import CameraMotionSource, warp_xywh_states
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


@dataclass
class FrameMatches:
    """The (track row, detection index) pairs one frame's association stages found."""

    rows: list[np.ndarray] = field(default_factory=list)
    detections: list[np.ndarray] = field(default_factory=list)

    def add(self, rows: np.ndarray, detections: np.ndarray) -> None:
        self.rows.append(rows)
        self.detections.append(detections)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(K,)`` track rows and ``(K,)`` detection indices."""
        if not self.rows:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(self.rows), np.concatenate(self.detections)


class ByteTrack:
    """Track the objects of one video; feed it every frame in order.

    Each tracker owns its tracks and its ID counter: IDs start at 1 and are given when a
    track is confirmed, so they are dense and do not depend on anything else in the process.

    Args:
        config: the settings (``tracker_type`` is not checked here; see ``make_tracker``).
        max_lost_frames: ``track_buffer`` in this video's frames. As in Ultralytics, a lost
            track can still be recovered after ``max_lost_frames + 1`` frames without a match
            (see ``_expire``).
        camera_motion: gives the camera's motion between frames (estimated from them, or
            saved by a run), or None (no compensation; ``make_tracker`` gives one only to the
            trackers that compensate).

    Attributes:
        camera_warp: ``(2, 3)`` float64, the warp by which the last ``update`` moved the
            tracks for the camera's motion; None when not compensating.
    """

    box_format: BoxFormat = "xyah"

    def __init__(
        self,
        config: TrackerConfig,
        max_lost_frames: int,
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        self.config = config
        self.max_lost_frames = max_lost_frames
        self.camera_warp: np.ndarray | None = None
        self._camera_motion = camera_motion
        self._kalman = KalmanFilter(self.box_format)
        self._frame_index = 0  # 1-based index of the frame being tracked
        self._next_id = 1
        self._tracks = self._new_rows(Detections.empty(), np.empty(0, dtype=np.int64))

    @property
    def needs_frame(self) -> bool:
        """Whether ``update`` needs the image (camera motion estimated from the frames)."""
        return self._camera_motion is not None and self._camera_motion.needs_frame

    def __len__(self) -> int:
        """Tracks held: tracked, unconfirmed and lost."""
        return len(self._tracks)

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame.

        Args:
            detections: this frame's detections; never modified.
            frame: ``(H, W, 3)`` uint8 RGB image; used only for camera-motion compensation.

        Returns:
            The confirmed tracks matched on this frame, by ``track_id``. Boxes are the Kalman
            filter's corrected boxes (as Ultralytics reports them); ``detection_index`` is
            the row of ``detections`` each track was matched to.
        """
        self._frame_index += 1
        config, tracks = self.config, self._tracks
        scores = detections.scores
        high, low = self._split(detections)
        pool = np.flatnonzero(tracks.confirmed)
        unconfirmed = np.flatnonzero(~tracks.confirmed)
        self._predict(pool)
        self._compensate_camera_motion(frame, detections, high, np.concatenate([pool, unconfirmed]))

        matches = FrameMatches()
        free_rows, free_high = self._match(
            matches, pool, detections, high, self._cost, config.match_thresh
        )
        free_rows, free_high = self._recover(matches, free_rows, detections, free_high)
        unmatched_tracked = free_rows[tracks.state[free_rows] == TRACKED]
        newly_lost = self._second_association(matches, unmatched_tracked, detections, low)
        unmatched_unconfirmed, free_high = self._match(
            matches, unconfirmed, detections, free_high, self._cost, UNCONFIRMED_MATCH_THRESH
        )
        self._apply_matches(*matches.arrays(), detections)
        tracks.state[newly_lost] = LOST

        keep = np.ones(len(tracks), dtype=bool)
        keep[unmatched_unconfirmed] = False
        self._expire(keep, newly_lost)
        tracks.keep(keep)
        starts = self._starts(detections, free_high[scores[free_high] >= config.new_track_thresh])
        return self._close_frame(detections, starts)

    # Hooks

    def _cost(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> np.ndarray:
        """Hook: ``(R, C)`` cost of matching track ``rows`` to detections ``indices``."""
        cost = self._iou_cost(rows, detections, indices)
        if self.config.fuse_score:
            cost = fuse_score(cost, detections.scores[indices])
        return cost

    def _compensate_camera_motion(
        self, frame: np.ndarray | None, detections: Detections, high: np.ndarray, rows: np.ndarray
    ) -> None:
        """Move track ``rows`` by the camera's motion since the last frame, if compensating."""
        if self._camera_motion is not None:
            self.camera_warp = self._camera_motion.estimate(frame, detections.boxes[high])
            self._move_with_camera(self.camera_warp, rows)

    def _move_with_camera(self, warp: np.ndarray, rows: np.ndarray) -> None:
        """Hook: move track ``rows`` by a ``(2, 3)`` affine ``warp``; here for an ``xywh``
        state (BoT-SORT, TrackTrack)."""
        if self.box_format != "xywh":
            raise NotImplementedError(f"{type(self).__name__} has no camera-motion compensation")
        tracks = self._tracks
        tracks.mean[rows], tracks.covariance[rows] = warp_xywh_states(
            warp, tracks.mean[rows], tracks.covariance[rows]
        )

    def _recover(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Hook: a further association of the first stage's leftovers; returns what is left."""
        return rows, indices

    def _second_association(
        self, matches: FrameMatches, rows: np.ndarray, detections: Detections, low: np.ndarray
    ) -> np.ndarray:
        """Hook: match tracked ``rows`` left over to low-score detections by IoU; returns the
        rows that stay unmatched (they become lost)."""
        unmatched, _ = self._match(
            matches, rows, detections, low, self._iou_cost, SECOND_MATCH_THRESH
        )
        return unmatched

    def _starts(self, detections: Detections, candidates: np.ndarray) -> np.ndarray:
        """Hook: of the unmatched detections ``candidates`` scoring enough to start a track,
        those that do (all of them here)."""
        return candidates

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> TrackSet:
        """Hook: the rows of new tracks started at detections ``indices``."""
        n = len(indices)
        mean, covariance = self._kalman.initiate(self._kalman.measure(detections.boxes[indices]))
        return TrackSet(
            track_id=np.zeros(n, dtype=np.int32),
            confirmed=np.full(n, self._frame_index == 1),
            state=np.full(n, TRACKED, dtype=np.int8),
            mean=mean,
            covariance=covariance,
            score=detections.scores[indices],
            class_id=detections.class_ids[indices],
            detection_index=indices.astype(np.int32),
            start_frame=np.full(n, self._frame_index, dtype=np.int64),
            last_frame=np.full(n, self._frame_index, dtype=np.int64),
            expired=np.zeros(n, dtype=bool),
        )

    def _after_update(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> None:
        """Hook: after track ``rows`` were corrected with detections ``indices``."""

    # Steps

    def _split(self, detections: Detections) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the ``(high, low)`` score detections; boxes without area are neither."""
        config, boxes, scores = self.config, detections.boxes, detections.scores
        has_area = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        high = np.flatnonzero(has_area & (scores >= config.track_high_thresh))
        low = np.flatnonzero(
            has_area & (scores > config.track_low_thresh) & (scores < config.track_high_thresh)
        )
        return high, low

    def _iou_cost(
        self, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> np.ndarray:
        """``(R, C)`` 1 - IoU of track ``rows``' boxes and detections ``indices``."""
        return iou_cost(self._boxes(rows), detections.boxes[indices])

    def _boxes(self, rows: np.ndarray) -> np.ndarray:
        """``(R, 4)`` float64 ``x1, y1, x2, y2`` boxes of track ``rows``."""
        return self._kalman.to_xyxy(self._tracks.mean[rows])

    def _predict(self, rows: np.ndarray) -> None:
        """Advance track ``rows`` by one frame; a track not tracked keeps its box's size."""
        tracks = self._tracks
        mean = tracks.mean[rows]
        still = tracks.state[rows] != TRACKED
        mean[np.ix_(still, self._kalman.size_velocity)] = 0
        tracks.mean[rows], tracks.covariance[rows] = self._kalman.predict(
            mean, tracks.covariance[rows]
        )

    def _match(
        self,
        matches: FrameMatches,
        rows: np.ndarray,
        detections: Detections,
        indices: np.ndarray,
        cost: Callable[[np.ndarray, Detections, np.ndarray], np.ndarray],
        limit: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Assign track ``rows`` to detections ``indices`` by ``cost(rows, detections,
        indices)`` (``(R, C)``, computed only when neither side is empty); record the pairs in
        ``matches`` and return the unmatched rows and detection indices."""
        if not len(rows) or not len(indices):
            return rows, indices
        pairs, free_rows, free_columns = linear_assignment(cost(rows, detections, indices), limit)
        matches.add(rows[pairs[:, 0]], indices[pairs[:, 1]])
        return rows[free_rows], indices[free_columns]

    def _apply_matches(self, rows: np.ndarray, indices: np.ndarray, detections: Detections) -> None:
        """Correct track ``rows`` with their detections in one batched Kalman update."""
        tracks = self._tracks
        mean, covariance = self._kalman.update(
            tracks.mean[rows],
            tracks.covariance[rows],
            self._kalman.measure(detections.boxes[indices]),
        )
        tracks.mean[rows] = mean
        tracks.covariance[rows] = covariance
        tracks.state[rows] = TRACKED
        tracks.confirmed[rows] = True
        tracks.score[rows] = detections.scores[indices]
        tracks.class_id[rows] = detections.class_ids[indices]
        tracks.detection_index[rows] = indices
        tracks.last_frame[rows] = self._frame_index
        self._after_update(rows, detections, indices)

    def _expire(self, keep: np.ndarray, newly_lost: np.ndarray) -> None:
        """Drop lost tracks whose buffer has run out, with Ultralytics' timing: a track lost
        for more than ``max_lost_frames`` frames expires, yet can still be recovered on the
        next frame; if not, it is dropped then, and if so, it is dropped when next lost.

        Args:
            keep: ``(T,)`` rows to keep; cleared here for the dropped ones.
            newly_lost: rows that became lost on this frame (they cannot expire on it).
        """
        tracks = self._tracks
        lost = tracks.state == LOST
        keep &= ~(lost & tracks.expired)
        lost[newly_lost] = False
        tracks.expired[lost & (self._frame_index - tracks.last_frame > self.max_lost_frames)] = True

    def _close_frame(self, detections: Detections, starts: np.ndarray) -> Tracks:
        """Start tracks at detections ``starts``, drop duplicate tracks, number the newly
        confirmed ones and report this frame's."""
        if len(starts):
            self._tracks.append(self._new_rows(detections, starts))
        self._remove_duplicates()
        self._assign_ids()
        return self._report()

    def _remove_duplicates(self) -> None:
        """Of a tracked and a lost track on the same object, drop the one matched over fewer
        frames (the tracked one on a tie)."""
        tracks = self._tracks
        tracked = np.flatnonzero(tracks.state != LOST)
        lost = np.flatnonzero(tracks.state == LOST)
        if not len(tracked) or not len(lost):
            return
        cost = iou_cost(self._boxes(tracked), self._boxes(lost))
        p, q = np.nonzero(cost < 1 - DUPLICATE_IOU)
        age = tracks.last_frame - tracks.start_frame
        tracked_older = age[tracked[p]] > age[lost[q]]
        keep = np.ones(len(tracks), dtype=bool)
        keep[lost[q[tracked_older]]] = False
        keep[tracked[p[~tracked_older]]] = False
        tracks.keep(keep)

    def _assign_ids(self) -> None:
        tracks = self._tracks
        new = np.flatnonzero(tracks.confirmed & (tracks.track_id == 0))
        tracks.track_id[new] = np.arange(self._next_id, self._next_id + len(new))
        self._next_id += len(new)

    def _report(self) -> Tracks:
        tracks = self._tracks
        rows = np.flatnonzero(tracks.confirmed & (tracks.last_frame == self._frame_index))
        rows = rows[np.argsort(tracks.track_id[rows])]
        return Tracks(
            tracks.track_id[rows],
            self._boxes(rows),
            tracks.score[rows],
            tracks.class_id[rows],
            tracks.detection_index[rows],
        )
