"""Fixtures for the detector tests: decoded TUD frames, our detector, Ultralytics' answers.

The helpers come as fixtures too (``decode_video``, ``predict_ultralytics``,
``matching_fraction``): pytest 9 imports test modules without putting this folder on
``sys.path``, so they cannot import a helper module.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from checkpoints import reid_checkpoint
from scipy.optimize import linear_sum_assignment

from tracklake.detection import Detector, DetectorConfig, load_detector
from tracklake.io.video import VideoDecoder
from tracklake.types import Detections

TUD_VIDEOS = ("TUD-Campus", "TUD-Stadtmitte")
PREDICT_CHUNK = 16  # frames per model.predict call: bounds Ultralytics' memory


def decode(
    path: Path, indices: Sequence[int] | None = None, size: tuple[int, int] | None = None
) -> np.ndarray:
    """``(N, H, W, 3)`` uint8 RGB frames of a video (all of them by default), as the pipeline
    decodes them: at ``size`` ``(h, w)`` if given (scaled while decoding), else full size."""
    decoder = VideoDecoder(path, num_threads=1)
    scaled = None if size is None else (size[1], size[0])
    frames = np.concatenate([batch.frames for batch in decoder.batches(64, size=scaled)])
    return frames if indices is None else frames[list(indices)]


def ultralytics_detections(yolo, frames: Sequence[np.ndarray], **settings) -> list[Detections]:
    """What ``yolo.predict`` finds in RGB ``frames`` (given to it as BGR), as ``Detections``."""
    detections = []
    for start in range(0, len(frames), PREDICT_CHUNK):
        chunk = [frame[..., ::-1] for frame in frames[start : start + PREDICT_CHUNK]]
        for result in yolo.predict(chunk, verbose=False, device="cpu", **settings):
            extras = {}
            if result.keypoints is not None:
                extras["keypoints"] = result.keypoints.data.numpy()
            if result.masks is not None:
                extras["masks"] = result.masks.data.numpy().astype(bool)
            boxes = result.boxes
            detections.append(
                Detections(boxes.xyxy.numpy(), boxes.conf.numpy(), boxes.cls.numpy(), extras)
            )
    return detections


def ultralytics_embeddings(
    weights: Path, frames: Sequence[np.ndarray], **settings
) -> list[Detections]:
    """The detections Ultralytics' BoT-SORT receives from ``YOLO.track`` with ``with_reid``
    and ``model: auto`` on RGB ``frames`` (given as BGR), each detection's feature vector
    as ``extras["embeddings"]`` ``(N, D)`` float32."""
    from ultralytics import YOLO

    from tracklake.tracking import TrackerConfig

    tracker_yaml = Path(tempfile.mkdtemp()) / "botsort-reid.yaml"
    config = TrackerConfig(tracker_type="botsort", gmc_method="none", with_reid=True)
    tracker_yaml.write_text(yaml.safe_dump(config.to_dict()))
    yolo = YOLO(str(weights))  # a model of its own: tracking callbacks stay on it
    received: list[Detections] = []

    def keep(predictor) -> None:  # added before the tracker's callback: sees every detection
        for result in predictor.results:
            boxes, feats = result.boxes, result.feats
            embeddings = feats.numpy() if len(feats) else np.empty((0, 0), np.float32)
            received.append(
                Detections(boxes.xyxy.numpy(), boxes.conf.numpy(), boxes.cls.numpy(),
                           {"embeddings": embeddings})
            )  # fmt: skip

    yolo.add_callback("on_predict_postprocess_end", keep)
    for frame in frames:
        yolo.track(frame[..., ::-1], persist=True, tracker=str(tracker_yaml), device="cpu",
                   verbose=False, **settings)  # fmt: skip
    return received


def match_rows(ours: Detections, theirs: Detections, tolerance: float) -> np.ndarray | None:
    """``theirs``' row for each of ``ours``' rows, pairing boxes of one class no more than
    ``tolerance`` pixels apart in every coordinate; ``None`` when no such pairing exists."""
    if len(ours) != len(theirs):
        return None
    distance = np.abs(ours.boxes[:, None, :] - theirs.boxes[None, :, :]).max(-1)
    distance[ours.class_ids[:, None] != theirs.class_ids[None, :]] = np.inf
    allowed = np.where(distance <= tolerance, distance, 1e9)
    rows, columns = linear_sum_assignment(allowed)
    if (allowed[rows, columns] >= 1e9).any():
        return None
    return columns[np.argsort(rows)]


def matching_fraction(
    ours: Sequence[Detections], theirs: Sequence[Detections], tolerance: float = 1.0
) -> float:
    """The fraction of frames whose detections pair up (see ``match_rows``)."""
    assert len(ours) == len(theirs)
    matched = [match_rows(a, b, tolerance) is not None for a, b in zip(ours, theirs, strict=True)]
    return float(np.mean(matched))


def box_agreement(ours: Sequence[Detections], theirs: Sequence[Detections]) -> tuple[float, float]:
    """How closely two detectors agree when their inputs differ slightly (frames scaled by
    FFmpeg against frames scaled by OpenCV): the fraction of ``theirs``' boxes paired with
    one of ``ours`` at IoU >= 0.5, and the median of the paired boxes' largest corner
    offset in pixels."""
    paired, offsets = 0, []
    for a, b in zip(ours, theirs, strict=True):
        if not len(a) or not len(b):
            continue
        top_left = np.maximum(a.boxes[:, None, :2], b.boxes[None, :, :2])
        bottom_right = np.minimum(a.boxes[:, None, 2:], b.boxes[None, :, 2:])
        inter = np.clip(bottom_right - top_left, 0, None).prod(-1)
        area_a = (a.boxes[:, 2:] - a.boxes[:, :2]).prod(-1)
        area_b = (b.boxes[:, 2:] - b.boxes[:, :2]).prod(-1)
        iou = inter / (area_a[:, None] + area_b[None, :] - inter)
        rows, columns = linear_sum_assignment(-iou)
        good = iou[rows, columns] >= 0.5
        paired += int(good.sum())
        offsets += np.abs(a.boxes[rows[good]] - b.boxes[columns[good]]).max(1).tolist()
    return paired / sum(map(len, theirs)), float(np.median(offsets))


@pytest.fixture(name="box_agreement", scope="session")
def box_agreement_fixture():
    return box_agreement


@pytest.fixture(scope="session")
def tud_frames(shared_videos: Path) -> dict[str, np.ndarray]:
    """Every frame of the two TUD videos (640x480), by video name."""
    return {name: decode(shared_videos / f"{name}.mp4") for name in TUD_VIDEOS}


@pytest.fixture(scope="session")
def yolov8n_config(yolov8n_weights: Path) -> DetectorConfig:
    return DetectorConfig(model=str(yolov8n_weights), device="cpu")


@pytest.fixture(scope="session")
def yolov8n_detector(yolov8n_config: DetectorConfig) -> Detector:
    return load_detector(yolov8n_config)


@pytest.fixture(scope="session")
def yolov8n_yolo(yolov8n_weights: Path):
    from ultralytics import YOLO

    return YOLO(str(yolov8n_weights))


@pytest.fixture(scope="session")
def tud_reference(yolov8n_yolo, tud_frames) -> dict[str, list[Detections]]:
    """Ultralytics' detections on every TUD frame with the default settings."""
    return {
        name: ultralytics_detections(yolov8n_yolo, frames) for name, frames in tud_frames.items()
    }


@pytest.fixture(name="reid_checkpoint", scope="session")
def reid_checkpoint_fixture(yolov8n_weights, tmp_path_factory) -> Path:
    """A ReID classification checkpoint (``checkpoints.reid_checkpoint``)."""
    return reid_checkpoint(tmp_path_factory.mktemp("reid") / "reid-cls.pt", yolov8n_weights)


@pytest.fixture(scope="session")
def decode_video():
    return decode


@pytest.fixture(scope="session")
def predict_ultralytics():
    return ultralytics_detections


@pytest.fixture(scope="session")
def embeddings_ultralytics():
    return ultralytics_embeddings


@pytest.fixture(name="match_rows", scope="session")
def match_rows_fixture():
    return match_rows


@pytest.fixture(name="matching_fraction", scope="session")
def matching_fraction_fixture():
    return matching_fraction
