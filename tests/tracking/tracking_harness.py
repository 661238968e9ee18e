"""Detections for tracker tests and benchmarks, and Ultralytics' trackers run on them.

Shared by ``tests/tracking`` and ``bench/trackers.py``; imports Ultralytics only inside the
functions that run it.
"""

from __future__ import annotations

import configparser
import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.types import Detections, Tracks

MOT17_PEDESTRIAN = 1


def mot17_detections(sequence_dir: Path, seed: int = 0) -> list[Detections]:
    """Detections made from a MOT17 sequence's pedestrian ground truth, one per frame: boxes
    jittered by 5% of their size, 10% dropped, about 2 false positives a frame, scores spread
    over [0.05, 1] so both association stages and new-track starts are exercised; boxes are
    clipped to the image, as a detector's are.
    """
    info = configparser.ConfigParser()
    info.read(sequence_dir / "seqinfo.ini")
    n_frames = int(info["Sequence"]["seqLength"])
    width, height = int(info["Sequence"]["imWidth"]), int(info["Sequence"]["imHeight"])
    truth = np.loadtxt(sequence_dir / "gt" / "gt.txt", delimiter=",", ndmin=2)
    truth = truth[(truth[:, 7] == MOT17_PEDESTRIAN) & (truth[:, 6] == 1)]
    truth = truth[np.argsort(truth[:, 0], kind="stable")]
    starts = np.searchsorted(truth[:, 0], np.arange(1, n_frames + 2))
    rng = np.random.default_rng(seed)
    limits = np.array([width, height, width, height], dtype=np.float64)
    frames = []
    for start, stop in itertools.pairwise(starts):
        x, y, w, h = truth[start:stop, 2:6].T
        kept = rng.random(len(x)) >= 0.1
        boxes = np.column_stack([x, y, x + w, y + h])[kept]
        size = np.column_stack([w, h, w, h])[kept]
        boxes = boxes + rng.normal(0.0, 0.05, boxes.shape) * size
        scores = np.clip(rng.normal(0.7, 0.25, len(boxes)), 0.05, 1.0)
        n_false = rng.poisson(2.0)
        corner = rng.random((n_false, 2)) * limits[:2]
        false_size = rng.uniform(20, 200, (n_false, 1)) * np.array([[0.4, 1.0]])
        false_boxes = np.column_stack([corner, corner + false_size])
        boxes = np.clip(np.concatenate([boxes, false_boxes]), 0, limits)
        scores = np.concatenate([scores, rng.uniform(0.05, 0.6, n_false)])
        order = rng.permutation(len(boxes))
        frames.append(Detections(boxes[order], scores[order], np.zeros(len(boxes))))
    return frames


class UltralyticsBoxes:
    """What Ultralytics' trackers take: ``conf``, ``cls``, ``xyxy``, ``xywh`` arrays and
    boolean-mask indexing, as ``Results.boxes.cpu().numpy()`` gives them."""

    def __init__(self, xyxy: np.ndarray, conf: np.ndarray, cls: np.ndarray) -> None:
        self.xyxy, self.conf, self.cls = xyxy, conf, cls

    @classmethod
    def of(cls, detections: Detections) -> UltralyticsBoxes:
        return cls(detections.boxes, detections.scores, detections.class_ids.astype(np.float32))

    @property
    def xywh(self) -> np.ndarray:
        xywh = self.xyxy.copy()
        xywh[:, :2] = (self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2
        xywh[:, 2:] = self.xyxy[:, 2:] - self.xyxy[:, :2]
        return xywh

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask: np.ndarray) -> UltralyticsBoxes:
        return UltralyticsBoxes(self.xyxy[mask], self.conf[mask], self.cls[mask])


def ultralytics_tracker(config: TrackerConfig):
    """Ultralytics' tracker of ``config.tracker_type``, with ``config``'s settings."""
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import IterableSimpleNamespace

    return TRACKER_MAP[config.tracker_type](args=IterableSimpleNamespace(**config.to_dict()))


def run_ultralytics(config: TrackerConfig, frames: Sequence[Detections]) -> list[np.ndarray]:
    """Each frame's ``(M, 8)`` ``[x1, y1, x2, y2, track_id, score, cls, detection_index]``."""
    tracker = ultralytics_tracker(config)
    return [
        tracker.update(
            UltralyticsBoxes.of(detections), None, feats=detections.extras.get("embeddings")
        ).reshape(-1, 8)
        for detections in frames
    ]


def run_ours(
    config: TrackerConfig, frames: Sequence[Detections], fps: float = 30.0, vid_stride: int = 1
) -> list[Tracks]:
    tracker = make_tracker(config, fps, vid_stride)
    return [tracker.update(detections) for detections in frames]


def assert_same_tracks(ours: Sequence[Tracks], theirs: Sequence[np.ndarray]) -> None:
    """Frame by frame, the same detections are tracked, with the same boxes and scores, and
    track IDs correspond one to one over the whole video."""
    assert len(ours) == len(theirs)
    our_to_their: dict[int, int] = {}
    their_to_our: dict[int, int] = {}
    for frame, (mine, other) in enumerate(zip(ours, theirs, strict=True), start=1):
        order = np.argsort(other[:, 7], kind="stable")
        other = other[order]
        mine_order = np.argsort(mine.detection_index, kind="stable")
        where = f"frame {frame}"
        np.testing.assert_array_equal(
            mine.detection_index[mine_order], other[:, 7].astype(np.int32), err_msg=where
        )
        np.testing.assert_allclose(mine.boxes[mine_order], other[:, :4], atol=1e-2, err_msg=where)
        np.testing.assert_allclose(mine.scores[mine_order], other[:, 5], err_msg=where)
        np.testing.assert_array_equal(mine.class_ids[mine_order], other[:, 6], err_msg=where)
        for our_id, their_id in zip(
            mine.track_ids[mine_order].tolist(), other[:, 4].astype(int).tolist(), strict=True
        ):
            assert our_to_their.setdefault(our_id, their_id) == their_id, (where, our_id)
            assert their_to_our.setdefault(their_id, our_id) == our_id, (where, their_id)
