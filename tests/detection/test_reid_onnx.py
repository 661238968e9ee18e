"""An ONNX export of a ReID checkpoint (``with_reid`` with ``model: <export>.onnx``) gives
each detection the embedding the checkpoint gives, and passes the run's preflight.

Ultralytics' ``ReID`` reads an export's output as the embedding; for a classification export
that is the class probabilities, which these tests show (README, "Appearance").
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest

from tracklake.detection import ModelError, load_detector
from tracklake.detection.preflight import check_model
from tracklake.hashing import file_sha256

pytestmark = pytest.mark.slow

MIN_COSINE = 0.999
FRAMES = slice(0, 60, 12)  # five frames of each TUD video


@pytest.fixture(scope="module")
def reid_exports(reid_checkpoint, tmp_path_factory) -> dict[str, str]:
    """A dynamic and a static (batch 1) ONNX export of the ReID checkpoint, by kind, made as
    ``yolo export model=reid-cls.pt format=onnx`` makes them."""
    from ultralytics import YOLO

    found = {}
    for kind, dynamic in (("dynamic", True), ("static", False)):
        folder = tmp_path_factory.mktemp(f"reid-onnx-{kind}")
        checkpoint = shutil.copy(reid_checkpoint, folder / "reid-cls.pt")
        found[kind] = YOLO(checkpoint).export(format="onnx", dynamic=dynamic, verbose=False)
    return found


def cosines(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """``(N,)`` cosine similarity of ``(N, D)`` rows."""
    norms = np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1)
    return (ours * theirs).sum(1) / norms


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_the_export_gives_the_checkpoints_embeddings(
    kind, reid_exports, reid_checkpoint, yolov8n_config, tud_frames
):
    frames = np.concatenate([tud_frames[video][FRAMES] for video in tud_frames])
    checkpoint = load_detector(replace(yolov8n_config, embeddings=str(reid_checkpoint)))
    export = load_detector(replace(yolov8n_config, embeddings=reid_exports[kind]))

    pairs = zip(export.detect(frames), checkpoint.detect(frames), strict=True)
    found = [cosines(a.extras["embeddings"], b.extras["embeddings"]) for a, b in pairs]

    assert export.crop_encoder.imgsz == checkpoint.crop_encoder.imgsz
    every = np.concatenate(found)
    assert len(every) > 4 * len(frames)
    assert every.min() >= MIN_COSINE


def test_ultralytics_reads_a_classification_export_as_class_probabilities(
    reid_exports, yolov8n_config, tud_frames
):
    """Why tracklake's embedding of an export differs from Ultralytics' ``ReID`` on it."""
    from ultralytics.trackers.utils.reid import ReID

    frame = tud_frames["TUD-Campus"][0]
    detector = load_detector(replace(yolov8n_config, embeddings=reid_exports["dynamic"]))
    (ours,) = detector.detect(frame[None])
    boxes = ours.boxes
    xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)

    theirs = np.stack(ReID(reid_exports["dynamic"], device="cpu")(frame[..., ::-1], xywh))

    assert ours.extras["embeddings"].shape == (len(boxes), 256)  # yolov8n-cls' last C2f
    assert theirs.shape == (len(boxes), 10)  # the checkpoint's 10 classes
    np.testing.assert_allclose(theirs.sum(1), 1, atol=1e-5)


def test_the_preflight_accepts_the_export(reid_exports, yolov8n_config):
    facts = check_model(replace(yolov8n_config, embeddings=reid_exports["static"]))
    assert facts.task == "detect"
    assert facts.reid_sha256 == file_sha256(reid_exports["static"])  # in the run's fingerprint
    assert check_model(replace(yolov8n_config, embeddings="auto")).reid_sha256 is None


def test_a_detection_export_is_no_reid_model(yolov8n_config, tmp_path):
    from ultralytics import YOLO

    checkpoint = shutil.copy(yolov8n_config.model, tmp_path / "yolov8n.pt")
    export = YOLO(checkpoint).export(format="onnx", dynamic=True, verbose=False)

    with pytest.raises(ModelError, match=rf"{export} is a 'detect' export; a ReID model is a"):
        load_detector(replace(yolov8n_config, embeddings=export))
