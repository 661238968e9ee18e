"""BoT-SORT (Aharon et al., 2022) as Ultralytics 8.4 runs it: ByteTrack with an ``xywh``
Kalman state, camera-motion compensation and, optionally, appearance embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracklake.tracking.appearance import (
    detection_embeddings,
    running_embedding,
    with_appearance,
)
from tracklake.tracking.bytetrack import ByteTrack
from tracklake.tracking.matching import fuse_score, iou_cost
from tracklake.tracking.track_set import TrackSet
from tracklake.types import Detections

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


class BoTSORT(ByteTrack):
    """BoT-SORT for one video.

    Args:
        config: the settings; with ``with_reid``, every non-empty frame's detections must
            carry ``extras["embeddings"]`` ``(N, D)`` float32.
        max_lost_frames: see ``ByteTrack``.
        camera_motion: estimates the camera's motion between frames, or None
            (``gmc_method: none``).
    """

    box_format = "xywh"
    _tracks: BoTSORTTrackSet

    def _cost(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> np.ndarray:
        overlap_cost = iou_cost(self._boxes(rows), detections.boxes[indices])
        cost = overlap_cost
        if self.config.fuse_score:
            cost = fuse_score(cost, detections.scores[indices])
        if self.config.with_reid and cost.size:
            cost = with_appearance(
                cost,
                overlap_cost,
                self._tracks.embedding[rows],
                detection_embeddings(detections)[indices],
                self.config,
            )
        return cost

    def _new_rows(self, detections: Detections, indices: np.ndarray) -> BoTSORTTrackSet:
        if self.config.with_reid:
            embedding = detection_embeddings(detections)[indices]
        else:
            embedding = np.zeros((len(indices), 0), dtype=np.float32)
        rows = super()._new_rows(detections, indices)
        return BoTSORTTrackSet.extending(rows, embedding=embedding)

    def _after_update(self, rows: np.ndarray, detections: Detections, indices: np.ndarray) -> None:
        if not self.config.with_reid or not len(rows):
            return
        self._tracks.embedding[rows] = running_embedding(
            self._tracks.embedding[rows],
            detection_embeddings(detections)[indices],
            EMBEDDING_MOMENTUM,
        )
