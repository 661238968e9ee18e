"""A separate ReID checkpoint (``with_reid`` with ``model: <checkpoint>``) gives each
detection the embedding Ultralytics' ``ReID`` encoder computes from its crop, and is read
through the allow-list like the detector.

The ReID checkpoint is built from yolov8n.pt's backbone (``checkpoints.reid_checkpoint``, the
``reid_checkpoint`` fixture).
"""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pytest
from checkpoints import REID_CROP_SIZE

from tracklake.detection import ModelError, load_detector

pytestmark = pytest.mark.slow

MIN_COSINE = 0.999


def test_crop_embeddings_are_ultralytics_own(reid_checkpoint, yolov8n_config, tud_frames):
    from ultralytics.trackers.utils.reid import ReID

    frames = tud_frames["TUD-Campus"][:6]
    detector = load_detector(replace(yolov8n_config, embeddings=str(reid_checkpoint)))
    encoder = ReID(str(reid_checkpoint), device="cpu")

    ours = detector.detect(frames)

    assert detector.crop_encoder.imgsz == REID_CROP_SIZE
    cosines = []
    for frame, detections in zip(frames, ours, strict=True):
        boxes = detections.boxes
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
        theirs = np.stack(encoder(frame[..., ::-1], xywh))
        mine = detections.extras["embeddings"]
        assert mine.shape == theirs.shape and mine.dtype == np.float32
        cosines.append(
            (mine * theirs).sum(1) / np.linalg.norm(mine, axis=1) / np.linalg.norm(theirs, axis=1)
        )
    cosines = np.concatenate(cosines)
    assert len(cosines) > 4 * len(frames)
    assert cosines.min() >= MIN_COSINE


def test_a_reid_checkpoint_that_would_run_code_is_refused(yolov8n_config, tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    path = tmp_path / "reid.pt"
    path.write_bytes(pickle.dumps({"model": Payload()}))

    with pytest.raises(ModelError, match=r"refusing to load .*builtins\.print"):
        load_detector(replace(yolov8n_config, embeddings=str(path)))


def test_the_trackers_reid_model_reaches_the_detector(reid_checkpoint, yolov8n_config):
    from tracklake.config import PipelineConfig
    from tracklake.tracking import TrackerConfig

    reid = TrackerConfig(tracker_type="botsort", with_reid=True, model=str(reid_checkpoint))
    pipeline = PipelineConfig(detector=yolov8n_config, tracker=reid)
    plain = PipelineConfig(detector=yolov8n_config, tracker=replace(reid, with_reid=False))

    assert pipeline.inference_detector().embeddings == str(reid_checkpoint)
    assert plain.inference_detector().embeddings is None
    assert pipeline.fingerprint("sha") != plain.fingerprint("sha")
