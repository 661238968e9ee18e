"""Deep OC-SORT (Maggiolino et al., 2023) as Ultralytics 8.4 runs it: OC-SORT plus appearance.

With ``with_reid``, both OC-SORT associations (by the Kalman box and by the last observed box)
take the appearance cost where it is trusted, as BoT-SORT does (``FrameAppearance.gate``), and
each track keeps a running embedding that a detection moves more the more confident it is.
Without ``with_reid`` it is OC-SORT (with its own default thresholds). Camera-motion
compensation (``gmc_method``, default ``none``) moves the Kalman position and velocity and the
last observed box, not the box's aspect and height.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from tracklake.tracking.appearance import FrameAppearance
from tracklake.tracking.camera_motion import CameraMotionSource
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import NO_ROWS, TrackBook, able_to_start, iou_cost_of
from tracklake.tracking.ocsort import (
    OCSortCosts,
    OCSortTrackSet,
    associate,
    observation_columns,
    observe,
)
from tracklake.tracking.tracker_base import TrackerBase
from tracklake.types import Detections, Tracks


@dataclass(slots=True)
class DeepOCSortTrackSet(OCSortTrackSet):
    """Deep OC-SORT's tracks: ``OCSortTrackSet``'s columns and the appearance.

    Attributes:
        embedding: ``(T, D)`` float32 L2-normalised running embedding (zero: none yet);
            ``D = 0`` without ``with_reid``.
    """

    embedding: np.ndarray


class DeepOCSort(TrackerBase[DeepOCSortTrackSet]):
    """Deep OC-SORT for one video (arguments: see ``TrackerBase``)."""

    def __init__(
        self,
        config: TrackerConfig,
        max_lost_frames: int,
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        super().__init__(config, TrackBook("xyah", max_lost_frames), camera_motion)
        self._book.tracks = self._new_rows(
            Detections.empty(), NO_ROWS, np.zeros((0, 0), dtype=np.float32)
        )

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame: OC-SORT's association after camera-motion compensation, both its
        costs gated by appearance, then observations and embeddings renewed (see
        ``Tracker.update`` in ``factory.py``)."""
        book, config = self._book, self.config
        split = book.begin_frame(detections, config)
        high, _, pool, unconfirmed = split
        warp = self._follow_camera(frame, detections.boxes[high])
        if warp is not None:
            _move_with_camera(book, warp, np.concatenate([pool, unconfirmed]))
        appearance = FrameAppearance.of(detections, config)
        costs = OCSortCosts(book, detections, config)

        def cost(rows: np.ndarray, indices: np.ndarray) -> np.ndarray:
            """OC-SORT's ``motion`` cost, gated by appearance."""
            motion = costs.motion(rows, indices)
            overlap_cost = iou_cost_of(book, detections, rows, indices)
            return appearance.gate(motion, overlap_cost, book.tracks.embedding, rows, indices)

        def recovery_cost(rows: np.ndarray, indices: np.ndarray) -> np.ndarray:
            """OC-SORT's ``observation`` cost, gated by appearance."""
            observation = costs.observation(rows, indices)
            overlap_cost = costs.observed_iou(rows, indices)
            return appearance.gate(observation, overlap_cost, book.tracks.embedding, rows, indices)

        matches, newly_lost, unmatched_unconfirmed, free_high = associate(
            book, detections, split, cost, recovery_cost, config
        )
        rows, indices = matches.arrays()
        book.correct(rows, indices, detections)
        observe(book, rows, detections, indices, config.delta_t)
        if config.with_reid:
            past_weight = _past_weight(detections.scores[indices], config)
            appearance.blend(book.tracks.embedding, rows, indices, past_weight)
        book.retire(newly_lost, unmatched_unconfirmed)

        starts = able_to_start(detections, free_high, config)
        new_rows = partial(self._new_rows, detections, embeddings=appearance.embeddings)
        return book.close_frame(starts, new_rows)

    def _new_rows(
        self, detections: Detections, indices: np.ndarray, embeddings: np.ndarray
    ) -> DeepOCSortTrackSet:
        """Tracks started at detections ``indices``, with their ``embeddings`` (``(N, D)``)."""
        rows = self._book.new_rows(detections, indices)
        return DeepOCSortTrackSet.extending(
            rows,
            **observation_columns(rows, detections, indices, self.config.delta_t),
            embedding=embeddings[indices],
        )


def _move_with_camera(
    book: TrackBook[DeepOCSortTrackSet], warp: np.ndarray, rows: np.ndarray
) -> None:
    """Move track ``rows`` by the camera's ``(2, 3)`` affine ``warp``: position and velocity
    follow it, aspect and height stay (an ``xyah`` state); so does the last observed box (its
    centre moves, its size stays), unless it has ``x1 < 0``."""
    linear, shift = warp[:, :2], warp[:, 2]
    transform = np.eye(8)
    transform[:2, :2] = transform[4:6, 4:6] = linear
    tracks = book.tracks
    mean = tracks.mean[rows] @ transform.T
    mean[:, :2] += shift
    tracks.mean[rows] = mean
    tracks.covariance[rows] = transform @ tracks.covariance[rows] @ transform.T
    last = tracks.last_observed[rows]
    centre = (last[:, :2] + last[:, 2:]) / 2 @ linear.T + shift
    half = (last[:, 2:] - last[:, :2]) / 2
    moved = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
    seen = last[:, 0] >= 0
    tracks.last_observed[rows[seen]] = moved[seen]


def _past_weight(scores: np.ndarray, config: TrackerConfig) -> np.ndarray:
    """``(R,)`` weight of a track's past embedding against a detection scoring ``scores``:
    ``alpha_fixed_emb`` for a perfect score, rising to 1 (the detection is ignored) at
    ``track_high_thresh`` and below."""
    floor, alpha = config.track_high_thresh, config.alpha_fixed_emb
    trust = (scores - floor) / max(1 - floor, 1e-9)
    return np.where(scores > floor, alpha + (1 - alpha) * (1 - trust), 1.0)
