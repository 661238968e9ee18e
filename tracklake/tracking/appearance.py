"""Appearance embeddings for the trackers that use them (BoT-SORT, Deep OC-SORT, TrackTrack).

Embeddings are L2-normalised float32 rows; an all-zero row means "no embedding" (a detection
whose feature had no length, or a track that has not seen one yet) and says nothing about
appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.matching import cosine_cost
from tracklake.types import Detections

_TINY = 1e-12


def detection_embeddings(detections: Detections) -> np.ndarray:
    """``(N, D)`` float32 L2-normalised ``detections.extras["embeddings"]``.

    Raises:
        ValueError: a non-empty frame carries no embeddings.
    """
    if "embeddings" not in detections.extras:
        if len(detections):
            raise ValueError(
                "with_reid needs detections.extras['embeddings'] (N, D) float32; "
                "set with_reid: false to track without appearance"
            )
        return np.empty((0, 0), dtype=np.float32)
    embeddings = np.asarray(detections.extras["embeddings"], dtype=np.float32)
    norm = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return np.where(norm < _TINY, 0.0, embeddings / np.maximum(norm, _TINY)).astype(np.float32)


def running_embedding(
    past: np.ndarray, seen: np.ndarray, past_weight: float | np.ndarray
) -> np.ndarray:
    """Blend newly ``seen`` embeddings into tracks' ``past`` ones (exponential moving average,
    renormalised), as Ultralytics' ``smooth_feature`` does.

    Args:
        past: ``(R, D)`` float32 the tracks' running embeddings (zero: none yet).
        seen: ``(R, D)`` float32 their matched detections' embeddings (zero: none).
        past_weight: the weight of ``past``, scalar or ``(R,)``.

    Returns:
        ``(R, D)`` float32: ``past`` where nothing was seen, ``seen`` where there was no past,
        else the normalised blend.
    """
    weight = np.broadcast_to(np.asarray(past_weight, dtype=np.float64), (len(past),))[:, None]
    blend = weight.astype(np.float32) * past + (1 - weight).astype(np.float32) * seen
    norm = np.linalg.norm(blend, axis=1, keepdims=True)
    blend = blend / np.maximum(norm, _TINY)
    has_past = past.any(axis=1, keepdims=True)
    has_seen = seen.any(axis=1, keepdims=True)
    return np.where(has_seen, np.where(has_past, blend, seen), past).astype(np.float32)


def with_appearance(
    cost: np.ndarray,
    overlap_cost: np.ndarray,
    track_embeddings: np.ndarray,
    detection_embeddings: np.ndarray,
    config: TrackerConfig,
) -> np.ndarray:
    """A motion ``cost`` lowered to the appearance cost where appearance is trusted, as
    BoT-SORT and Deep OC-SORT do: half the cosine distance, counted only where it is below
    ``1 - appearance_thresh`` and the boxes overlap (``overlap_cost``, 1 - IoU, below
    ``1 - proximity_thresh``).

    Args:
        cost: ``(R, C)`` float motion cost.
        overlap_cost: ``(R, C)`` float32 1 - IoU.
        track_embeddings: ``(R, D)`` float32 normalised (zero: none).
        detection_embeddings: ``(C, D)`` float32 normalised (zero: none).
        config: gives ``appearance_thresh`` and ``proximity_thresh``.

    Returns:
        ``(R, C)``: the element-wise minimum of ``cost`` and the gated appearance cost.
    """
    appearance = cosine_cost(track_embeddings, detection_embeddings) / 2
    untrusted = (appearance > 1 - config.appearance_thresh) | (
        overlap_cost > 1 - config.proximity_thresh
    )
    appearance[untrusted] = 1.0
    return np.minimum(cost, appearance)


@dataclass(frozen=True)
class FrameAppearance:
    """One frame's appearance, as BoT-SORT and Deep OC-SORT use it.

    Attributes:
        embeddings: ``(N, D)`` float32 the frame's normalised detection embeddings with
            ``with_reid`` (``detection_embeddings``); ``D = 0`` without, so that a track
            table's embedding column is ``(T, 0)``.
        config: gives ``with_reid`` and the thresholds of ``with_appearance``.
    """

    embeddings: np.ndarray
    config: TrackerConfig

    @classmethod
    def of(cls, detections: Detections, config: TrackerConfig) -> FrameAppearance:
        if config.with_reid:
            return cls(detection_embeddings(detections), config)
        return cls(np.zeros((len(detections), 0), dtype=np.float32), config)

    def gate(
        self,
        cost: np.ndarray,
        overlap_cost: np.ndarray,
        track_embedding: np.ndarray,
        rows: np.ndarray,
        indices: np.ndarray,
    ) -> np.ndarray:
        """``(R, C)``: the motion ``cost`` of track ``rows`` and detections ``indices`` with
        ``with_appearance`` under ``with_reid``, else as it is.

        Args:
            cost: ``(R, C)`` float motion cost.
            overlap_cost: ``(R, C)`` float32 1 - IoU of the same pairs.
            track_embedding: ``(T, D)`` float32 all tracks' running embeddings.
        """
        if not self.config.with_reid:
            return cost
        return with_appearance(
            cost, overlap_cost, track_embedding[rows], self.embeddings[indices], self.config
        )

    def blend(
        self,
        track_embedding: np.ndarray,
        rows: np.ndarray,
        indices: np.ndarray,
        past_weight: float | np.ndarray,
    ) -> None:
        """Blend detections ``indices``' embeddings into the running ``track_embedding``
        (``(T, D)``, in place) of the track ``rows`` they matched (``running_embedding``;
        ``past_weight`` scalar or ``(R,)``)."""
        if len(rows):
            track_embedding[rows] = running_embedding(
                track_embedding[rows], self.embeddings[indices], past_weight
            )
