"""Each detection's appearance embedding (``model: auto``) is the one Ultralytics' BoT-SORT
receives with ``with_reid: true``: cosine similarity at least 0.999, box for box."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tracklake.detection import ModelError, load_detector
from tracklake.detection.appearance import DetectorFeatures
from tracklake.detection.models import load_model
from tracklake.io.video import VideoDecoder

pytestmark = pytest.mark.slow

MIN_COSINE = 0.999
YOLOV8N_EMBEDDING_SIZE = 64  # the fewest channels of the three maps YOLOv8n's head takes


def paired_cosines(ours, theirs, match_rows, tolerance=1.0) -> tuple[np.ndarray, int]:
    """Cosine similarity of the embeddings of every pair of boxes found by both (see
    ``match_rows``), and how many frames paired up."""
    cosines, paired = [], 0
    for mine, reference in zip(ours, theirs, strict=True):
        order = match_rows(mine, reference, tolerance)
        if order is None:
            continue
        paired += 1
        a, b = mine.extras["embeddings"], reference.extras["embeddings"][order]
        cosines.append((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))
    return np.concatenate(cosines), paired


def test_embeddings_are_ultralytics_own(
    yolov8n_config, yolov8n_weights, tud_frames, embeddings_ultralytics, match_rows
):
    frames = tud_frames["TUD-Campus"]
    config = replace(yolov8n_config, conf=0.1)  # what trackers get: low scores too
    detector = load_detector(replace(config, embeddings="auto"))

    ours = detector.detect(frames)
    theirs = embeddings_ultralytics(yolov8n_weights, frames, conf=0.1)

    for detections in ours:
        embeddings = detections.extras["embeddings"]
        assert embeddings.shape == (len(detections), YOLOV8N_EMBEDDING_SIZE)
        assert embeddings.dtype == np.float32
    cosines, paired = paired_cosines(ours, theirs, match_rows)
    assert paired >= 0.99 * len(frames)
    assert len(cosines) > 8 * len(frames)  # people on every frame: a real comparison
    assert cosines.min() >= MIN_COSINE
    # Embeddings ride along: the detections are those of a detector without them (to the
    # float32 rounding two forward passes on the CPU may differ by).
    without = load_detector(config).detect(frames)
    for mine, plain in zip(ours, without, strict=True):
        np.testing.assert_allclose(mine.boxes, plain.boxes, atol=1e-3)
        np.testing.assert_allclose(mine.scores, plain.scores, atol=1e-5)


def test_frames_decoded_at_the_models_size_give_the_embeddings_of_those_frames(
    yolov8n_config, yolov8n_weights, shared_videos, decode_video, embeddings_ultralytics,
    match_rows,
):  # fmt: skip
    """The feature maps are those of the network input: a 1080p frame decoded at 640x360 and
    padded to 640x384. Ultralytics fed the same 640x360 frames computes the same embeddings;
    our boxes are in 1920x1080 pixels, its boxes in 640x360, a third of them."""
    path = shared_videos / "pedestrians-1080p.mp4"
    info = VideoDecoder(path, num_threads=1).info
    frame_size = (info.height, info.width)
    detector = load_detector(replace(yolov8n_config, embeddings="auto"))
    frames = decode_video(path, range(0, 302, 50), size=detector.input_frame_size(frame_size))

    ours = detector.detect(frames, [frame_size] * len(frames))
    theirs = [
        replace(detections, boxes=detections.boxes * (info.width / frames.shape[2]))
        for detections in embeddings_ultralytics(yolov8n_weights, frames, conf=yolov8n_config.conf)
    ]

    assert frames.shape[1:3] == (360, 640)
    cosines, paired = paired_cosines(ours, theirs, match_rows, tolerance=3.0)
    assert paired == len(frames)
    assert len(cosines) > 5 * len(frames)
    assert cosines.min() >= MIN_COSINE


def test_an_export_cannot_give_its_feature_maps(yolov8n_weights):
    """A TorchScript or ONNX export returns only predictions: ``auto`` is refused with what
    to do instead."""
    import torch

    loaded = load_model(yolov8n_weights, device=torch.device("cpu"), half=False)
    export = replace(loaded, format="torchscript")

    with pytest.raises(ModelError, match="ReID model"):
        DetectorFeatures(export, "yolov8n.torchscript")
