"""Masks and keypoints reach the rows of their boxes, in frame pixels.

No segment or pose checkpoint can be downloaded here, so each is built from Ultralytics' model
YAML: the backbone, neck and box/class branches are copied from yolov8n.pt (so people are
found in the TUD frames), the mask and keypoint branches keep their random weights.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from tracklake.detection import load_detector
from tracklake.detection.masks import decode_rle

pytestmark = pytest.mark.slow


def build_checkpoint(task: str, donor_path, path):
    from ultralytics import YOLO
    from ultralytics.nn.tasks import PoseModel, SegmentationModel

    torch.manual_seed(0)
    yaml = "yolov8n-seg.yaml" if task == "segment" else "yolov8n-pose.yaml"
    donor = YOLO(str(donor_path)).model
    model_class = SegmentationModel if task == "segment" else PoseModel
    model = model_class(yaml, nc=len(donor.names), verbose=False)
    own = model.state_dict()
    own.update(
        {k: v for k, v in donor.state_dict().items() if k in own and own[k].shape == v.shape}
    )
    model.load_state_dict(own)
    model.names = donor.names
    torch.save({"model": model.half(), "train_args": {"task": task}}, path)  # as training saves
    return path


@pytest.fixture(scope="module")
def frames(tud_frames):
    return tud_frames["TUD-Campus"][:4]


@pytest.mark.parametrize("task", ["segment", "pose"])
def test_extras_follow_their_boxes(
    task, frames, yolov8n_config, yolov8n_weights, tmp_path, predict_ultralytics
):
    from ultralytics import YOLO

    path = build_checkpoint(task, yolov8n_weights, tmp_path / f"{task}.pt")
    detector = load_detector(replace(yolov8n_config, model=str(path)))

    ours = detector.detect(frames)
    theirs = predict_ultralytics(YOLO(path), frames, retina_masks=True)

    assert detector.task == task
    for mine, reference in zip(ours, theirs, strict=True):
        assert len(mine) > 2
        order = match(mine, reference)
        if task == "pose":
            keypoints = mine.extras["keypoints"]
            assert keypoints.shape == (len(mine), 17, 3) and keypoints.dtype == np.float32
            np.testing.assert_allclose(keypoints, reference.extras["keypoints"][order], atol=0.05)
        else:
            masks = np.stack([decode_rle(rle, (480, 640)) for rle in mine.extras["masks_rle"]])
            expected = reference.extras["masks"][order]
            intersection = (masks & expected).sum((1, 2))
            union = (masks | expected).sum((1, 2))
            assert (intersection / union).min() > 0.95
            assert masks.any((1, 2)).all()


def match(ours, theirs) -> np.ndarray:
    """``theirs``' row for each of ``ours``' rows: the same box to a hundredth of a pixel."""
    assert len(ours) == len(theirs)
    distance = np.abs(ours.boxes[:, None] - theirs.boxes[None]).max(-1)
    order = distance.argmin(1)
    assert (distance[np.arange(len(ours)), order] < 0.01).all()
    assert len(set(order)) == len(order)
    return order
