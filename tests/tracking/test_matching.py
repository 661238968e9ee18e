"""Association costs and assignment (``tracking.matching``) against hand-computed values, a
brute force over every partial matching, and ``lap.lapjv`` (what Ultralytics assigns with)."""

from __future__ import annotations

import itertools

import lap
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tracklake.tracking.matching import (
    cosine_cost,
    fuse_score,
    iou,
    iou_cost,
    linear_assignment,
)

PROPERTIES = settings(max_examples=200, deadline=None)


def box_iou(a: list[float], b: list[float]) -> float:
    """IoU of two ``x1, y1, x2, y2`` boxes, one pair at a time in float64."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def matched_gain(cost: np.ndarray, matches: np.ndarray, limit: float) -> float:
    """What ``linear_assignment`` minimises: ``sum(cost - limit)`` over the matched pairs."""
    return float(sum(cost[row, col] - limit for row, col in matches))


def best_gain_by_brute_force(cost: np.ndarray, limit: float) -> float:
    """The least ``sum(cost - limit)`` over every matching of pairs costing under ``limit``."""
    n_rows, n_cols = cost.shape
    best = 0.0
    for choice in itertools.product([None, *range(n_cols)], repeat=n_rows):
        cols = [col for col in choice if col is not None]
        if len(set(cols)) < len(cols):
            continue
        pairs = [(row, col) for row, col in enumerate(choice) if col is not None]
        if all(cost[row, col] < limit for row, col in pairs):
            best = min(best, matched_gain(cost, pairs, limit))
    return best


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),  # identical
        ([0, 0, 2, 2], [1, 0, 3, 2], 2 / 6),  # half of each overlaps
        ([0, 0, 4, 4], [1, 1, 3, 3], 4 / 16),  # one inside the other
        ([0, 0, 2, 2], [2, 0, 4, 2], 0.0),  # sharing an edge
        ([0, 0, 2, 2], [5, 5, 6, 6], 0.0),  # apart
        ([0, 0, 2, 2], [1, 1, 1, 1], 0.0),  # a point inside
    ],
)
def test_iou_of_hand_computed_pairs(a, b, expected):
    assert iou(np.array([a]), np.array([b]))[0, 0] == pytest.approx(expected, abs=1e-6)
    assert iou(np.array([b]), np.array([a]))[0, 0] == pytest.approx(expected, abs=1e-6)


def test_iou_is_rows_by_columns_in_float32():
    a = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30]], np.float64)
    b = np.array([[0, 0, 10, 10], [100, 100, 110, 110]], np.float64)
    overlaps = iou(a, b)
    assert overlaps.shape == (3, 2) and overlaps.dtype == np.float32
    assert overlaps[:, 0] == pytest.approx([1.0, 25 / 175, 0.0], abs=1e-6)
    assert not overlaps[:, 1].any()
    assert iou(np.empty((0, 4)), b).shape == (0, 2)
    assert iou(a, np.empty((0, 4))).shape == (3, 0)


coordinates = st.floats(0, 1000, allow_nan=False)
sides = st.floats(0.5, 500, allow_nan=False)
boxes = st.builds(lambda x, y, w, h: [x, y, x + w, y + h], coordinates, coordinates, sides, sides)


def as_float32_boxes(boxes: list[list[float]]) -> np.ndarray:
    return np.array(boxes, np.float32).reshape(-1, 4)


@PROPERTIES
@given(a=st.lists(boxes, max_size=6), b=st.lists(boxes, max_size=6))
def test_iou_matches_the_pairwise_reference(a, b):
    a, b = as_float32_boxes(a), as_float32_boxes(b)
    overlaps = iou(a, b)
    assert overlaps.shape == (len(a), len(b))
    assert np.all((overlaps >= 0) & (overlaps <= 1))
    for i, j in itertools.product(range(len(a)), range(len(b))):
        expected = box_iou(a[i].tolist(), b[j].tolist())
        assert overlaps[i, j] == pytest.approx(expected, abs=1e-5)


def test_iou_cost_and_fused_score():
    tracks = np.array([[0, 0, 2, 2], [0, 0, 4, 4]], np.float32)
    detections = np.array([[1, 0, 3, 2], [1, 1, 3, 3]], np.float32)
    overlaps = np.array([[2 / 6, 1 / 7], [4 / 16, 4 / 16]])
    cost = iou_cost(tracks, detections)
    assert cost == pytest.approx(1 - overlaps, abs=1e-6)
    scores = np.array([0.5, 0.9], np.float32)
    assert fuse_score(cost, scores) == pytest.approx(1 - overlaps * scores, abs=1e-6)


def test_cosine_cost_of_known_angles_and_missing_embeddings():
    diagonal = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    tracks = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    detections = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], diagonal])
    cost = cosine_cost(tracks, detections)
    assert cost[0] == pytest.approx([0.0, 1.0, 2.0, 1 - 1 / np.sqrt(2)])
    assert cost[1] == pytest.approx([2.0] * 4)  # no embedding: farthest from everything
    assert cosine_cost(detections, np.zeros((2, 3))) == pytest.approx(np.full((4, 2), 2.0))


def test_assignment_is_optimal_not_greedy():
    # greedy takes (0, 0) at 0.1 and leaves row 1 without a partner under the limit
    cost = np.array([[0.1, 0.2], [0.15, 0.9]])
    matches, rows, cols = linear_assignment(cost, limit=0.5)
    assert matches.tolist() == [[0, 1], [1, 0]]
    assert rows.size == 0 and cols.size == 0
    assert matches.dtype == np.int64


def test_pairs_at_or_over_the_limit_stay_unmatched():
    cost = np.array([[0.5, 0.7], [0.9, 0.3], [0.2, 0.6]])
    matches, rows, cols = linear_assignment(cost, limit=0.5)
    assert matches.tolist() == [[1, 1], [2, 0]]
    assert rows.tolist() == [0] and cols.tolist() == []
    matches, rows, cols = linear_assignment(cost, limit=0.1)
    assert matches.shape == (0, 2)
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [0, 1]


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (2, 0)])
def test_nothing_to_assign(shape):
    matches, rows, cols = linear_assignment(np.empty(shape), limit=0.8)
    assert matches.shape == (0, 2)
    assert rows.tolist() == list(range(shape[0])) and cols.tolist() == list(range(shape[1]))


def costs(most: int, least: int = 0) -> st.SearchStrategy[np.ndarray]:
    """Float64 cost matrices of ``least`` to ``most`` rows and columns, values in ``[0, 1.5]``."""
    shapes = st.tuples(st.integers(least, most), st.integers(least, most))
    values = st.floats(0, 1.5, allow_nan=False)
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=values))


limits = st.floats(0.05, 1.2, allow_nan=False)


@PROPERTIES
@given(cost=costs(8), limit=limits)
def test_assignment_partitions_rows_and_columns_under_the_limit(cost, limit):
    matches, rows, cols = linear_assignment(cost, limit)
    n_rows, n_cols = cost.shape
    assert sorted([*matches[:, 0], *rows]) == list(range(n_rows))
    assert sorted([*matches[:, 1], *cols]) == list(range(n_cols))
    assert rows.tolist() == sorted(rows) and cols.tolist() == sorted(cols)
    assert all(cost[row, col] < limit for row, col in matches)
    # no pair left out that could still be matched
    assert not (cost[np.ix_(rows, cols)] < limit).any()


@PROPERTIES
@given(cost=costs(4), limit=limits)
def test_assignment_is_the_brute_force_optimum(cost, limit):
    matches, _, _ = linear_assignment(cost, limit)
    expected = best_gain_by_brute_force(cost, limit)
    assert matched_gain(cost, matches, limit) == pytest.approx(expected, abs=1e-9)


@PROPERTIES
@given(cost=costs(12, least=1), limit=limits)
def test_assignment_is_as_good_as_lapjv(cost, limit):
    matches, _, _ = linear_assignment(cost, limit)
    _, x, _ = lap.lapjv(cost, extend_cost=True, cost_limit=limit)
    reference = np.array([[row, col] for row, col in enumerate(x) if col >= 0], np.int64)
    reference = reference.reshape(-1, 2)
    # lapjv may also take a pair costing exactly the limit, which gains nothing
    reference = reference[cost[reference[:, 0], reference[:, 1]] < limit]
    gain, expected = matched_gain(cost, matches, limit), matched_gain(cost, reference, limit)
    assert gain == pytest.approx(expected, abs=1e-9)
