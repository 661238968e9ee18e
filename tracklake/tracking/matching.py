"""Association costs and assignment: plain functions over arrays.

Costs are ``(R, C)`` float arrays, rows for tracks and columns for detections; lower is better.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

_EPS = 1e-7


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of ``(R, 4)`` and ``(C, 4)`` ``x1, y1, x2, y2`` boxes.

    Returns:
        ``(R, C)`` float32 (computed in float32, as Ultralytics does).
    """
    inter, area_a, area_b = _intersection_and_areas(a, b)
    return inter / (area_b + area_a - inter + np.float32(_EPS))


def coverage(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of each ``(C, 4)`` box ``b`` covered by each ``(R, 4)`` box ``a`` (intersection
    over the area of ``b``): ``(R, C)`` float32."""
    inter, _, area_b = _intersection_and_areas(a, b)
    return inter / (area_b + np.float32(_EPS))


def _intersection_and_areas(
    a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(R, C)`` intersections, ``(R, 1)`` areas of ``a``, ``(1, C)`` areas of ``b``; float32."""
    a = np.asarray(a, dtype=np.float32)[:, None, :]
    b = np.asarray(b, dtype=np.float32)[None, :, :]
    overlap = np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2])
    inter = np.prod(np.maximum(overlap, 0), axis=2)
    area_a = np.prod(a[..., 2:] - a[..., :2], axis=2)
    area_b = np.prod(b[..., 2:] - b[..., :2], axis=2)
    return inter, area_a, area_b


def iou_cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``1 - IoU``: ``(R, C)`` float32."""
    return 1 - iou(a, b)


def fuse_score(cost: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Weigh an IoU cost by the ``(C,)`` detection scores: ``1 - IoU * score``."""
    return 1 - (1 - cost) * scores[None, :]


def cosine_cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine distance of ``(R, D)`` and ``(C, D)`` L2-normalised embeddings, ``(R, C)`` in
    ``[0, 2]``; a row of zeros (no embedding) is at the maximum distance, 2, from everything."""
    cost = np.maximum(0.0, 1 - a @ b.T)
    missing_a = ~a.any(axis=1)
    missing_b = ~b.any(axis=1)
    cost[missing_a, :] = 2.0
    cost[:, missing_b] = 2.0
    return cost


def linear_assignment(cost: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match rows to columns minimising the total cost, leaving out any pair costing ``limit``
    or more.

    This is the optimum ``lap.lapjv(cost, extend_cost=True, cost_limit=limit)`` finds (what
    Ultralytics uses): minimise ``sum(cost - limit)`` over the matched pairs.

    Returns:
        matches ``(K, 2)`` int64 ``(row, column)``, unmatched rows ``(R - K,)`` and unmatched
        columns ``(C - K,)``, each ascending.
    """
    n_rows, n_cols = cost.shape
    if cost.size == 0:
        return np.empty((0, 2), dtype=np.int64), np.arange(n_rows), np.arange(n_cols)
    gain = np.minimum(cost.astype(np.float64) - limit, 0.0)
    rows, cols = linear_sum_assignment(gain)
    keep = gain[rows, cols] < 0
    rows, cols = rows[keep], cols[keep]
    free_rows = np.ones(n_rows, dtype=bool)
    free_rows[rows] = False
    free_cols = np.ones(n_cols, dtype=bool)
    free_cols[cols] = False
    return np.stack([rows, cols], axis=1), np.flatnonzero(free_rows), np.flatnonzero(free_cols)
