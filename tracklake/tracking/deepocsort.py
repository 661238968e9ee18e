"""Deep OC-SORT (Maggiolino et al., 2023) as Ultralytics 8.4 runs it: OC-SORT plus appearance.

With ``with_reid``, both OC-SORT associations (by the Kalman box and by the last observed box)
take the appearance cost where it is trusted, as BoT-SORT does (``with_appearance``), and each
track keeps a running embedding that a detection moves more the more confident it is. Without
``with_reid`` it is OC-SORT (with its own default thresholds). Camera-motion compensation
(``gmc_method``, default ``none``) moves the Kalman position and velocity and the last
observed box, not the box's aspect and height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracklake.tracking.appearance import (
    detection_embeddings,
    running_embedding,
    with_appearance,
)
from tracklake.tracking.matching import iou_cost
from tracklake.tracking.ocsort import OCSort, OCSortTrackSet
from tracklake.types import Detections


@dataclass(slots=True)
class DeepOCSortTrackSet(OCSortTrackSet):
    """Deep OC-SORT's tracks: ``OCSortTrackSet``'s columns and the appearance.

    Attributes:
        embedding: ``(T, D)`` float32 L2-normalised running embedding (zero: none yet);
            ``D = 0`` without ``with_reid``.
    """

    embedding: np.ndarray


class DeepOCSort(OCSort):
    """Deep OC-SORT for one video.

    Args:
        config: the settings; with ``with_reid``, every non-empty frame's detections must
            carry ``extras["embeddings"]`` ``(N, D)`` float32.
        max_lost_frames: see ``ByteTrack``.
        camera_motion: as for ``BoTSORT``, or None (``gmc_method: none``).
    """

    _tracks: DeepOCSortTrackSet

    def _move_with_camera(self, warp: np.ndarray, rows: np.ndarray) -> None:
        """Position and velocity follow the warp, aspect and height stay (an ``xyah``
        state); so does the last observed box (its centre moves, its size stays), unless it
        has ``x1 < 0``."""
        linear, shift = warp[:, :2], warp[:, 2]
        transform = np.eye(8)
        transform[:2, :2] = transform[4:6, 4:6] = linear
        tracks = self._tracks
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

    def _cost(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> np.ndarray:
        cost = super()._cost(rows, detections, indices)
        overlap_cost = self._iou_cost(rows, detections, indices)
        return self._with_appearance(cost, overlap_cost, rows, detections, indices)

    def _observation_cost(
        self, rows: np.ndarray, detections: Detections, indices: np.ndarray
    ) -> np.ndarray:
        cost = super()._observation_cost(rows, detections, indices)
        overlap_cost = iou_cost(self._observed_boxes(rows), detections.boxes[indices])
        return self._with_appearance(cost, overlap_cost, rows, detections, indices)

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> DeepOCSortTrackSet:
        if self.config.with_reid:
            embedding = detection_embeddings(detections)[indices]
        else:
            embedding = np.zeros((len(indices), 0), dtype=np.float32)
        rows = super()._new_rows(detections, indices)
        return DeepOCSortTrackSet.extending(rows, embedding=embedding)

    def _after_update(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> None:
        super()._after_update(rows, detections, indices)
        if not self.config.with_reid or not len(rows):
            return
        self._tracks.embedding[rows] = running_embedding(
            self._tracks.embedding[rows],
            detection_embeddings(detections)[indices],
            self._past_weight(detections.scores[indices]),
        )

    def _with_appearance(
        self,
        cost: np.ndarray,
        overlap_cost: np.ndarray,
        rows: np.ndarray,
        detections: Detections,
        indices: np.ndarray,
    ) -> np.ndarray:
        if not self.config.with_reid or not cost.size:
            return cost
        return with_appearance(
            cost,
            overlap_cost,
            self._tracks.embedding[rows],
            detection_embeddings(detections)[indices],
            self.config,
        )

    def _past_weight(self, scores: np.ndarray) -> np.ndarray:
        """``(R,)`` weight of a track's past embedding against a detection scoring ``scores``:
        ``alpha_fixed_emb`` for a perfect score, rising to 1 (the detection is ignored) at
        ``track_high_thresh`` and below."""
        floor, alpha = self.config.track_high_thresh, self.config.alpha_fixed_emb
        trust = (scores - floor) / max(1 - floor, 1e-9)
        return np.where(scores > floor, alpha + (1 - alpha) * (1 - trust), 1.0)
