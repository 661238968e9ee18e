"""Our detector finds what Ultralytics' ``model.predict`` finds, frame by frame."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from tracklake.detection import load_detector

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("video", ["TUD-Campus", "TUD-Stadtmitte"])
def test_checkpoint_matches_ultralytics_on_every_tud_frame(
    video, yolov8n_detector, tud_frames, tud_reference, matching_fraction
):
    ours = yolov8n_detector.detect(tud_frames[video])

    assert sum(map(len, ours)) > 4 * len(ours)  # people in every frame: a real comparison
    assert matching_fraction(ours, tud_reference[video]) >= 0.99


def test_resized_frames_and_class_filter_match(
    yolov8n_config, yolov8n_yolo, tud_frames, predict_ultralytics, matching_fraction
):
    """imgsz 320 resizes 640x480 to 320x240 and pads it to 320x256."""
    frames = tud_frames["TUD-Stadtmitte"][::8]
    settings = {"imgsz": 320, "conf": 0.2, "iou": 0.5, "classes": (0, 2)}
    detector = load_detector(replace(yolov8n_config, **settings))

    ours = detector.detect(frames)
    theirs = predict_ultralytics(yolov8n_yolo, frames, **settings)

    assert detector.letterbox((480, 640)).input_size == (256, 320)
    assert sum(map(len, ours)) > len(ours)
    assert matching_fraction(ours, theirs) >= 0.99


def test_1080p_frames_match(
    yolov8n_detector,
    yolov8n_yolo,
    shared_videos,
    decode_video,
    predict_ultralytics,
    matching_fraction,
):
    """1920x1080 shrinks to 640x360 and gets 12 rows of padding above and below."""
    frames = decode_video(shared_videos / "pedestrians-1080p.mp4", range(0, 300, 50))

    ours = yolov8n_detector.detect(frames)
    theirs = predict_ultralytics(yolov8n_yolo, frames)

    assert yolov8n_detector.letterbox((1080, 1920)).input_size == (384, 640)
    assert sum(map(len, ours)) > 5 * len(ours)
    assert matching_fraction(ours, theirs) == 1.0


def test_torchscript_export_matches_ultralytics(
    yolov8n_config,
    yolov8n_weights,
    tud_frames,
    tmp_path_factory,
    predict_ultralytics,
    matching_fraction,
):
    from ultralytics import YOLO

    folder = tmp_path_factory.mktemp("torchscript")
    checkpoint = shutil.copy(yolov8n_weights, folder / "yolov8n.pt")
    export = YOLO(checkpoint).export(format="torchscript", verbose=False)
    detector = load_detector(replace(yolov8n_config, model=export))
    frames = np.concatenate([tud_frames[video][::5] for video in tud_frames])

    ours = detector.detect(frames)
    theirs = predict_ultralytics(YOLO(export, task="detect"), frames)

    assert detector.letterbox((480, 640)).input_size == (640, 640)  # a static export
    assert detector.class_names == YOLO(checkpoint).names
    assert matching_fraction(ours, theirs) >= 0.99
