"""A real panning camera for camera-motion tests, made from the shared 1080p street clip.

``pedestrians-1080p.mp4`` (1920x1080, 30 fps) is filmed by a nearly still camera (GMC finds
a few tenths of a pixel of drift a frame in it). A 1280x720 window slides across it, right
8 px and down 4 px a frame, and jumps 64 px further right once, at frame ``JUMP_AT``: the
window's frames are a camera panning over a real street whose motion is known, in the
window's pixels: the scene moves by minus the window's step.

Each frame comes as the window cut from the full-size frame, and as the window decoded at the
size YOLO takes it, as the pipeline decodes with ``scale_at="decode"``: cut from the frame
decoded by tracklake's ``VideoDecoder`` at half size (960x540, FFmpeg's area averaging), the
window at ``imgsz=640`` (640x360, the size Ultralytics' GMC works at); and at a quarter, the
window at ``imgsz=320`` (320x180: GMC then works on half of Ultralytics' size, as it does on
a 1080p video at ``imgsz=640``). Offsets are multiples of 4, so every cut shows the same scene.

Shared by tests/tracking/test_panning_camera.py and bench/panning_gmc.py.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from tracking_harness import UltralyticsBoxes, ultralytics_tracker

from tracklake.io.video import VideoDecoder
from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.tracking.camera_motion import CameraMotion
from tracklake.types import Detections, Tracks

CLIP = "pedestrians-1080p.mp4"
FPS = 30.0
WINDOW = (720, 1280)  # (H, W) of the panning camera's frames, in clip pixels
FRAMES = 60
STEP = np.array([8, 4])  # the window's (x, y) move each frame, in clip pixels
JUMP_AT, JUMP = 30, np.array([64, 0])  # from frame JUMP_AT on, the window is this much further
MODEL_SCALES = {640: 2, 320: 4}  # imgsz -> how much smaller the window is decoded for it
IMGSZ, CONF = 640, 0.1  # the detector's settings: low conf, so both association stages run


@dataclass(frozen=True)
class PanningSequence:
    """The panning camera's frames.

    Attributes:
        frames: ``(N, 720, 1280, 3)`` uint8 RGB, the window cut from the full-size clip.
        decoded: imgsz -> ``(N, 720 / s, 1280 / s, 3)`` uint8 RGB, the window as decoded for
            YOLO at that imgsz, ``s`` its ``MODEL_SCALES``.
        offsets: ``(N, 2)`` int64, the window's top-left corner ``(x, y)`` in clip pixels.
    """

    frames: np.ndarray
    decoded: dict[int, np.ndarray]
    offsets: np.ndarray

    def pans(self) -> np.ndarray:
        """``(N - 1, 2)`` float64: the scene's true shift ``(x, y)`` from each frame to the
        next, in the window's (original) pixels: the window moves the other way."""
        return -np.diff(self.offsets, axis=0).astype(np.float64)


def window_offsets(frames: int = FRAMES) -> np.ndarray:
    """``(frames, 2)`` int64 top-left corners ``(x, y)`` of the window, multiples of 4."""
    index = np.arange(frames)[:, None]
    return (index * STEP + (index >= JUMP_AT) * JUMP).astype(np.int64)


def panning_sequence(video: Path, frames: int = FRAMES) -> PanningSequence:
    """Decode the first ``frames`` frames of ``video`` (the shared clip) at full size and at
    each of ``MODEL_SCALES`` and cut the sliding window from each."""
    offsets = window_offsets(frames)
    decoder = VideoDecoder(video, num_threads=1)
    decoded = {}
    for imgsz, scale in MODEL_SCALES.items():
        size = (decoder.info.width // scale, decoder.info.height // scale)
        window = (WINDOW[0] // scale, WINDOW[1] // scale)
        decoded[imgsz] = _windows(_first_frames(decoder, frames, size), offsets // scale, window)
    full = _windows(_first_frames(decoder, frames, None), offsets, WINDOW)
    return PanningSequence(frames=full, decoded=decoded, offsets=offsets)


def _first_frames(decoder: VideoDecoder, count: int, size: tuple[int, int] | None) -> np.ndarray:
    """``(count, h, w, 3)`` uint8 RGB: the first frames, scaled to ``size`` ``(w, h)``."""
    kept: list[np.ndarray] = []
    for batch in decoder.batches(16, size=size):
        kept.extend(batch.frames[: count - len(kept)])
        if len(kept) == count:
            return np.stack(kept)
    raise ValueError(f"{decoder.path} has fewer than {count} frames")


def _windows(frames: np.ndarray, corners: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    windows = [f[y : y + height, x : x + width] for f, (x, y) in zip(frames, corners, strict=True)]
    return np.stack(windows)


def detect_people(
    sequence: PanningSequence, weights: Path, cache_dir: Path | None = None
) -> list[Detections]:
    """YOLOv8n's person detections (``conf=0.1``) of each window as decoded for YOLO at
    ``imgsz=640``, boxes in the window's original pixels, as the pipeline detects
    (tracklake's detector, CPU). With ``cache_dir``, stored there keyed by the weights' and
    frames' sha256."""
    digest = hashlib.sha256(weights.read_bytes())
    frames = sequence.decoded[IMGSZ]
    digest.update(frames.tobytes())
    cache = None if cache_dir is None else cache_dir / f"{digest.hexdigest()}.npy"
    if cache is not None and cache.exists():
        return _unpack(np.load(cache), len(frames))
    from tracklake.detection.config import DetectorConfig
    from tracklake.detection.detector import load_detector

    config = DetectorConfig(str(weights), IMGSZ, CONF, classes=("person",), device="cpu")
    detector = load_detector(config)
    assert detector.input_frame_size(WINDOW) == frames.shape[1:3]
    found = detector.detect(frames, frame_sizes=[WINDOW] * len(frames))
    if cache is not None:
        partial = cache.with_suffix(f".{os.getpid()}.partial.npy")  # pytest -n: one a worker
        np.save(partial, _pack(found))
        partial.replace(cache)
    return found


def _pack(frames: Sequence[Detections]) -> np.ndarray:
    """``(rows, 7)`` float32 ``frame, x1, y1, x2, y2, score, class``."""
    rows = [
        np.column_stack([np.full(len(d.scores), i), d.boxes, d.scores, d.class_ids])
        for i, d in enumerate(frames)
    ]
    return np.concatenate(rows).astype(np.float32)


def _unpack(rows: np.ndarray, count: int) -> list[Detections]:
    starts = np.searchsorted(rows[:, 0], np.arange(count + 1))
    return [Detections(rows[a:b, 1:5], rows[a:b, 5], rows[a:b, 6]) for a, b in pairwise(starts)]


def our_warps(
    method: str, frames: np.ndarray, detections: Sequence[Detections], scaled: bool = False
) -> np.ndarray:
    """``(N, 2, 3)`` float64: tracklake's ``CameraMotion`` warps, frame to frame, in original
    pixels; ``frames`` are RGB, the originals or (``scaled``) the windows decoded for the
    model."""
    motion = CameraMotion(method, frame_size=WINDOW if scaled else None)
    return np.array([motion.estimate(f, d.boxes) for f, d in zip(frames, detections, strict=True)])


def ultralytics_warps(
    method: str, frames: np.ndarray, detections: Sequence[Detections]
) -> np.ndarray:
    """``(N, 2, 3)`` float64: Ultralytics' ``GMC`` (downscale 2, as its trackers build it) fed
    the same original frames, as BGR."""
    from ultralytics.trackers.utils.gmc import GMC

    gmc = GMC(method=method, downscale=2)
    return np.array(
        [gmc.apply(f[..., ::-1].copy(), d.boxes) for f, d in zip(frames, detections, strict=True)],
        dtype=np.float64,
    )


def centre_shifts(warps: np.ndarray) -> np.ndarray:
    """``(N, 2)`` float64: how far each warp moves the window's centre, ``(x, y)`` pixels: the
    camera's pan, whatever rotation about the corner the fit also found."""
    centre = np.array([WINDOW[1], WINDOW[0]]) / 2
    return warps[:, :, :2] @ centre + warps[:, :, 2] - centre


def track_ours(
    config: TrackerConfig,
    sequence: PanningSequence,
    detections: Sequence[Detections],
    imgsz: int | None = None,
) -> list[Tracks]:
    """tracklake's tracker fed the original frames, or the frames decoded for YOLO at
    ``imgsz`` with the original size, as the pipeline feeds it."""
    frames = sequence.frames if imgsz is None else sequence.decoded[imgsz]
    tracker = make_tracker(config, FPS, frame_size=None if imgsz is None else WINDOW)
    return [tracker.update(d, f) for d, f in zip(detections, frames, strict=True)]


def track_ultralytics(
    config: TrackerConfig, sequence: PanningSequence, detections: Sequence[Detections]
) -> list[np.ndarray]:
    """Ultralytics' tracker fed the original frames as BGR: each frame's ``(M, 8)`` rows."""
    tracker = ultralytics_tracker(config)
    return [
        tracker.update(UltralyticsBoxes.of(d), f[..., ::-1].copy()).reshape(-1, 8)
        for d, f in zip(detections, sequence.frames, strict=True)
    ]


def id_switches(tracks: Sequence[Tracks], offsets: np.ndarray, max_gap: int = 5) -> int:
    """ID switches, found with the known pan taken out (boxes in clip pixels: the window's
    offset added), where people move a few pixels a frame:

    - a *takeover*: a track ends and a new ID starts on the same person (the new track's
      first box overlaps the ended track's last box by IoU >= 0.5 at most ``max_gap`` frames
      later; each track ends and starts once at most, an assignment);
    - a *jump*: a track's box moves onto someone else (IoU < 0.5 with its previous box, seen
      at most ``max_gap`` frames before).
    """
    first: dict[int, tuple[int, np.ndarray]] = {}
    last: dict[int, tuple[int, np.ndarray]] = {}
    jumps = 0
    for index, frame in enumerate(tracks):
        shift = np.tile(offsets[index], 2)
        for track_id, box in zip(frame.track_ids.tolist(), frame.boxes + shift, strict=True):
            seen, before = last.get(track_id, (-1, box))
            jumps += 0 < index - seen <= max_gap and _iou(before, box) < 0.5
            first.setdefault(track_id, (index, box))
            last[track_id] = (index, box)
    started = [(i, box) for i, box in first.values() if i > 0]
    if not started:
        return jumps
    overlap = np.array(
        [
            [_iou(a, b) if 0 < s - e <= max_gap else 0.0 for s, b in started]
            for e, a in last.values()
        ]
    )
    rows, cols = linear_sum_assignment(-overlap)
    return jumps + int((overlap[rows, cols] >= 0.5).sum())


def track_count(tracks: Sequence[Tracks]) -> int:
    """Distinct track IDs over the sequence."""
    return len({int(i) for frame in tracks for i in frame.track_ids})


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(width, 0.0) * max(height, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
