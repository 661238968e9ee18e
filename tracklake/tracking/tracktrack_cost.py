"""TrackTrack's association pieces as plain functions over arrays (Shim et al., 2025, as
Ultralytics 8.4 runs them): the multi-cue cost's terms, the iterative mutual-nearest matching
and the track-aware NMS that decides which detections start tracks.
"""

from __future__ import annotations

import numpy as np

from tracklake.tracking.matching import iou

# The corners of an x1, y1, x2, y2 box, as (x, y) column pairs: LT, LB, RT, RB.
CORNER_X = np.array([0, 0, 2, 2])
CORNER_Y = np.array([1, 3, 1, 3])
_NORM_EPS = 1e-5


def height_modulated_iou_cost(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of ``(R, 4)`` and ``(C, 4)`` ``x1, y1, x2, y2`` boxes, and ``1 - HIoU * IoU`` where
    HIoU is the IoU of their vertical extents: both ``(R, C)`` float32."""
    overlap = iou(a, b)
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    top = np.maximum(a[:, 1:2], b[:, 1:2].T)
    bottom = np.minimum(a[:, 3:4], b[:, 3:4].T)
    union = np.maximum(a[:, 3:4], b[:, 3:4].T) - np.minimum(a[:, 1:2], b[:, 1:2].T)
    height_iou = np.clip((bottom - top) / (union + 1e-9), 0, 1)
    return overlap, 1.0 - height_iou * overlap


def score_cost(
    track_scores: np.ndarray, previous_scores: np.ndarray, detection_scores: np.ndarray
) -> np.ndarray:
    """``(R, C)`` difference between each track's score extrapolated one frame (from its last
    two) and each detection's."""
    projected = track_scores + (track_scores - previous_scores)
    return np.abs(projected[:, None] - detection_scores[None])


def corner_directions(to_boxes: np.ndarray, from_boxes: np.ndarray) -> np.ndarray:
    """``(P, 4, 2)`` unit vectors (near zero for no motion) from each corner of ``from_boxes``
    to the same corner of ``to_boxes`` (both ``(P, 4)``)."""
    delta = to_boxes - from_boxes
    dx, dy = delta[:, CORNER_X], delta[:, CORNER_Y]
    norm = np.sqrt(dx * dx + dy * dy) + _NORM_EPS
    return np.stack([dx / norm, dy / norm], axis=-1)


def angle_cost(
    velocity: np.ndarray, past_boxes: np.ndarray, boxes: np.ndarray, scores: np.ndarray
) -> np.ndarray:
    """``(P,)`` mean angle, over pi, between each track's corner ``velocity`` ``(P, 4, 2)`` and
    the corner directions from its ``past_boxes`` to the detection ``boxes`` (``(P, 4)``),
    weighted by the detections' ``scores``."""
    direction = corner_directions(boxes, past_boxes)
    dot = np.einsum("pkd,pkd->pk", velocity, direction)
    return np.abs(np.arccos(np.clip(dot, -1, 1))).mean(axis=-1) / np.pi * scores


def iterative_assignment(
    cost: np.ndarray, limit: float, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match rows and columns that are each other's cheapest, costing under ``limit``; then,
    with those taken out and the limit lowered by ``step``, again, until nothing matches.

    Returns:
        matches ``(K, 2)`` int64 ``(row, column)``, unmatched rows and unmatched columns
        (ascending).
    """
    cost = cost.copy()
    n_rows, n_cols = cost.shape
    pairs = []
    rows = np.arange(n_rows)
    while n_rows and n_cols:
        nearest_col = np.argmin(cost, axis=1)
        nearest_row = np.argmin(cost, axis=0)
        found = (nearest_row[nearest_col] == rows) & (cost[rows, nearest_col] < limit)
        if not found.any():
            break
        new = np.stack([rows[found], nearest_col[found]], axis=1)
        pairs.append(new)
        cost[new[:, 0], :] = np.inf
        cost[:, new[:, 1]] = np.inf
        limit -= step
    matches = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    free_rows = np.ones(n_rows, dtype=bool)
    free_rows[matches[:, 0]] = False
    free_cols = np.ones(n_cols, dtype=bool)
    free_cols[matches[:, 1]] = False
    return matches, np.flatnonzero(free_rows), np.flatnonzero(free_cols)


def track_aware_nms(
    track_boxes: np.ndarray,
    boxes: np.ndarray,
    scores: np.ndarray,
    limit: float,
    min_score: float,
) -> np.ndarray:
    """Which detections may start a track: scoring above ``min_score``, overlapping no track
    by more than ``limit`` IoU, and no more confident such detection by more than ``limit``.

    Args:
        track_boxes: ``(T, 4)`` boxes of the tracks matched on this frame.
        boxes: ``(N, 4)`` detection boxes; ``scores`` ``(N,)``.

    Returns:
        ``(N,)`` bool.
    """
    allow = scores > min_score
    if len(track_boxes) + len(boxes) < 2:
        return allow
    if len(track_boxes):
        allow &= iou(boxes, track_boxes).max(axis=1) <= limit
    overlap = iou(boxes, boxes)
    for i in np.argsort(scores)[::-1]:
        if allow[i]:
            suppress = overlap[i] > limit
            suppress[i] = False
            allow[suppress] = False
    return allow
