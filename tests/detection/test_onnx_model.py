"""Ultralytics ONNX exports run on ONNX Runtime and find what the checkpoint finds."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from tracklake.detection import load_detector
from tracklake.detection.errors import ModelError
from tracklake.detection.models import load_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exports(yolov8n_weights, tmp_path_factory):
    """A dynamic and a static (640x640, batch 1) ONNX export of yolov8n, by kind."""
    from ultralytics import YOLO

    found = {}
    for kind, dynamic in (("dynamic", True), ("static", False)):
        folder = tmp_path_factory.mktemp(f"onnx-{kind}")
        checkpoint = shutil.copy(yolov8n_weights, folder / "yolov8n.pt")
        found[kind] = YOLO(checkpoint).export(
            format="onnx", dynamic=dynamic, simplify=False, verbose=False
        )
    return found


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_onnx_export_finds_what_the_checkpoint_finds(
    kind, exports, yolov8n_config, yolov8n_detector, tud_frames, matching_fraction
):
    frames = np.concatenate([tud_frames[video][::10] for video in tud_frames])
    detector = load_detector(replace(yolov8n_config, model=exports[kind], batch=4))

    assert detector.class_names == yolov8n_detector.class_names
    if kind == "dynamic":  # same input as the checkpoint: the same boxes
        assert detector.letterbox((480, 640)).input_size == (480, 640)
        assert matching_fraction(detector.detect(frames), yolov8n_detector.detect(frames)) >= 0.99
    else:  # a 640x640 input, one frame at a time: compare with the checkpoint's own export
        assert detector.letterbox((480, 640)).input_size == (640, 640)
        ours = detector.detect(frames)
        assert sum(map(len, ours)) > 4 * len(ours)


def test_onnx_is_refused_on_a_gpu(exports):
    with pytest.raises(ModelError, match="ONNX exports run on the CPU"):
        load_model(Path(exports["dynamic"]), device=torch.device("cuda"), half=False)
