"""HOTA, MOTA and IDF1 of a MOTChallenge result file against MOT15 ground truth, by TrackEval.

A bench helper: every ground-truth row of a MOT15 sequence is a pedestrian to find, every
result row is a claim; similarity is box IoU, as in TrackEval's MotChallenge2DBox.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from trackeval.metrics import CLEAR, HOTA, Identity


def _read_mot(path: Path) -> np.ndarray:
    """Rows ``frame (1-based), id, x, y, w, h`` as float64."""
    rows = np.loadtxt(path, delimiter=",", ndmin=2)
    return rows[:, :6] if rows.size else np.empty((0, 6))


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between ``(N, 4)`` and ``(M, 4)`` xywh boxes."""
    a1, a2 = a[:, None, :2], a[:, None, :2] + a[:, None, 2:]
    b1, b2 = b[None, :, :2], b[None, :, :2] + b[None, :, 2:]
    inter = np.clip(np.minimum(a2, b2) - np.maximum(a1, b1), 0, None).prod(axis=2)
    union = a[:, None, 2:].prod(axis=2) + b[None, :, 2:].prod(axis=2) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def sequence_data(gt_file: Path, result_file: Path, frames: int) -> dict:
    """TrackEval's per-sequence input: ids per timestep (0-based, dense) and IoU matrices."""
    gt, result = _read_mot(gt_file), _read_mot(result_file)
    gt_ids = {v: i for i, v in enumerate(np.unique(gt[:, 1]))}
    tracker_ids = {v: i for i, v in enumerate(np.unique(result[:, 1]))}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for frame in range(1, frames + 1):
        g, r = gt[gt[:, 0] == frame], result[result[:, 0] == frame]
        data["gt_ids"].append(np.array([gt_ids[v] for v in g[:, 1]], int))
        data["tracker_ids"].append(np.array([tracker_ids[v] for v in r[:, 1]], int))
        data["similarity_scores"].append(_iou(g[:, 2:6], r[:, 2:6]))
    data.update(
        num_timesteps=frames,
        num_gt_ids=len(gt_ids),
        num_tracker_ids=len(tracker_ids),
        num_gt_dets=len(gt),
        num_tracker_dets=len(result),
    )
    return data


def scores(gt_file: Path, result_file: Path, frames: int) -> dict[str, float]:
    """``HOTA``, ``DetA``, ``AssA``, ``MOTA``, ``IDF1`` (percent) of one sequence."""
    data = sequence_data(gt_file, result_file, frames)
    hota = HOTA().eval_sequence(data)
    clear = CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
    identity = Identity({"PRINT_CONFIG": False}).eval_sequence(data)
    return {
        "HOTA": 100 * float(np.mean(hota["HOTA"])),
        "DetA": 100 * float(np.mean(hota["DetA"])),
        "AssA": 100 * float(np.mean(hota["AssA"])),
        "MOTA": 100 * float(clear["MOTA"]),
        "IDF1": 100 * float(identity["IDF1"]),
    }
