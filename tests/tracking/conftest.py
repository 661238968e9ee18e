"""Detections the tracker tests run on: YOLOv8n on the TUD videos (cached), and MOT17 ground
truth made into detections."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tracklake.types import Detections

# The test modules (and bench/trackers.py) share tracking_harness.py, beside this file; pytest's
# import mode does not put this folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from tracking_harness import mot17_detections

TUD_VIDEOS = ("TUD-Campus", "TUD-Stadtmitte")
CONFIDENCE = 0.1


@pytest.fixture(scope="session")
def tud_detections(
    request: pytest.FixtureRequest, shared_videos: Path, yolov8n_weights: Path
) -> dict[str, list[Detections]]:
    """Each TUD video's per-frame YOLOv8n detections at ``conf=0.1``: computed once, then
    cached under pytest's cache dir, keyed by the weights' and videos' sha256."""
    digest = hashlib.sha256(yolov8n_weights.read_bytes())
    for name in TUD_VIDEOS:
        digest.update((shared_videos / f"{name}.mp4").read_bytes())
    cache = request.config.cache.mkdir("tracklake-tud-detections") / f"{digest.hexdigest()}.npz"
    if not cache.exists():
        _detect_tud(shared_videos, yolov8n_weights, cache)
    with np.load(cache) as stored:
        return {
            name: [
                Detections(boxes, scores, classes)
                for boxes, scores, classes in zip(
                    *(
                        np.split(stored[f"{name}/{key}"], stored[f"{name}/splits"])
                        for key in ("boxes", "scores", "classes")
                    ),
                    strict=True,
                )
            ]
            for name in TUD_VIDEOS
        }


def _detect_tud(shared_videos: Path, weights: Path, cache: Path) -> None:
    from ultralytics import YOLO

    from tracklake.io.video import VideoDecoder

    model = YOLO(str(weights))
    arrays = {}
    for name in TUD_VIDEOS:
        decoder = VideoDecoder(shared_videos / f"{name}.mp4", num_threads=1)
        boxes = []
        for rgb in (frame for batch in decoder.batches(16) for frame in batch.frames):
            (result,) = model.predict(rgb[..., ::-1], conf=CONFIDENCE, verbose=False)
            boxes.append(result.boxes.cpu().numpy().data)
        arrays[f"{name}/boxes"] = np.concatenate([b[:, :4] for b in boxes])
        arrays[f"{name}/scores"] = np.concatenate([b[:, 4] for b in boxes])
        arrays[f"{name}/classes"] = np.concatenate([b[:, 5] for b in boxes])
        arrays[f"{name}/splits"] = np.cumsum([len(b) for b in boxes])[:-1]
    partial = cache.with_suffix(f".{os.getpid()}.partial.npz")  # pytest -n: one per worker
    np.savez(partial, **arrays)
    partial.replace(cache)


@pytest.fixture(scope="session")
def mot17_dir(shared_dir: Path) -> Path:
    return shared_dir / "mot17"


@pytest.fixture(scope="session")
def mot17_04(mot17_dir: Path) -> list[Detections]:
    """MOT17-04 (1050 frames, about 43 detections each) as jittered detections."""
    return mot17_detections(mot17_dir / "MOT17-04")
