"""The settings of a run: what shapes each video's tracks, and how the job runs.

``PipelineConfig`` holds everything that changes the tracks of a video; its fingerprint goes
into every tracks file so that a resumed run reprocesses exactly the videos whose result would
differ. ``JobConfig`` holds how the work is spread and reported, which never changes a result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from tracklake.detection.config import DetectorConfig
from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.io.video import DEFAULT_MAX_FRAME_PIXELS
from tracklake.tracking.config import TrackerConfig

DEFAULT_DECODE_BUFFER_BYTES = 48 << 20
SCALE_AT = ("decode", "model")

# Detector settings that do not change which boxes come out; ``embeddings`` and
# ``recover_suppressed`` come from the tracker's settings, which the fingerprint holds.
_RESULT_NEUTRAL_DETECTOR_KEYS = (
    "model", "device", "batch", "unsafe_load_pickle", "embeddings", "recover_suppressed",
)  # fmt: skip


@dataclass(frozen=True)
class PipelineConfig:
    """How one video becomes tracks.

    Attributes:
        detector: model and inference settings.
        tracker: tracker settings.
        vid_stride: track every n-th frame.
        decode_threads: FFmpeg threads per video being decoded; ``None``: by device,
            resolved by the worker's step of ``jobs.plan``.
        scale_at: where frames are scaled to the model's input size: ``decode`` (FFmpeg
            scales them while decoding; full-size frames are never held) or ``model`` (decoded
            at full size and scaled by the detector, exactly as Ultralytics does; slower and
            ~9x the memory per 1080p frame). Part of the fingerprint: the two differ slightly.
        decode_buffer_bytes: most bytes of decoded frames held ahead of the detector per
            open video (at least one frame); does not change the tracks.
        max_frame_pixels: a video whose header claims larger frames fails before decoding.
        stall_timeout_s: a video whose decoder yields no frames for this long fails as
            ``timeout`` instead of hanging its worker.
        save_detections: also write every frame's detections, down to ``DETECTIONS_FLOOR``,
            to ``OUT/detections/<video>.parquet``; the tracker still sees only those above
            ``detector.conf``, so the tracks do not change.
    """

    detector: DetectorConfig
    tracker: TrackerConfig
    vid_stride: int = 1
    decode_threads: int | None = None
    scale_at: str = "decode"
    decode_buffer_bytes: int = DEFAULT_DECODE_BUFFER_BYTES
    max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS
    stall_timeout_s: float = 300.0
    save_detections: bool = False

    def __post_init__(self) -> None:
        if self.vid_stride < 1:
            raise ValueError(f"vid_stride must be >= 1, got {self.vid_stride}")
        if self.decode_threads is not None and self.decode_threads < 1:
            raise ValueError(f"decode_threads must be >= 1, got {self.decode_threads}")
        if self.scale_at not in SCALE_AT:
            raise ValueError(f"scale_at must be one of {SCALE_AT}, got {self.scale_at!r}")
        if self.decode_buffer_bytes < 1 or self.max_frame_pixels < 1:
            raise ValueError("decode_buffer_bytes and max_frame_pixels must be positive")

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector.to_dict(),
            "tracker": self.tracker.to_dict(),
            "vid_stride": self.vid_stride,
            "decode_threads": self.decode_threads,
            "scale_at": self.scale_at,
            "decode_buffer_bytes": self.decode_buffer_bytes,
            "max_frame_pixels": self.max_frame_pixels,
            "stall_timeout_s": self.stall_timeout_s,
            "save_detections": self.save_detections,
        }

    def inference_detector(self) -> DetectorConfig:
        """The detector as it runs: with embeddings when the tracker matches on appearance
        (``with_reid``, from the ReID ``model`` it names), with the recovered detections
        (TrackTrack's second set) when the tracker uses them or the run saves detections
        (so that any tracker can be retracked from them); with ``save_detections`` its
        ``conf`` lowered to ``DETECTIONS_FLOOR``. Boxes above the run's ``conf`` stay the
        same: NMS suppresses a box only by a higher-scoring one, and ``max_det`` keeps the
        best."""
        detector = self.detector
        if self.tracker.uses_appearance:
            detector = replace(detector, embeddings=self.tracker.model)
        if self.tracker.uses_recovered_detections or self.save_detections:
            detector = replace(detector, recover_suppressed=True)
        if self.save_detections:
            detector = replace(detector, conf=min(detector.conf, DETECTIONS_FLOOR))
        return detector

    def fingerprint(self, model_sha256: str, reid_sha256: str | None = None) -> str:
        """A hash of everything that shapes the tracks: the model's bytes, not its path, and
        those of the ReID model giving the embeddings (``reid_sha256``), if any."""
        detector = {
            key: value
            for key, value in self.detector.to_dict().items()
            if key not in _RESULT_NEUTRAL_DETECTOR_KEYS
        }
        shaping = {
            "model_sha256": model_sha256,
            "detector": detector,
            "tracker": self.tracker.to_dict(),
            "vid_stride": self.vid_stride,
            "scale_at": self.scale_at,
        }
        if reid_sha256 is not None:
            shaping["reid_sha256"] = reid_sha256
        if self.save_detections:  # a rerun must write the detections files a run lacks
            shaping["save_detections"] = True
        encoded = json.dumps(shaping, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class JobConfig:
    """How the videos are spread over workers and reported.

    Attributes:
        address: ``None`` starts an embedded local Ray for the run; ``auto`` or
            ``HOST:PORT`` joins a running cluster.
        workers: worker actors; ``None`` means, on GPUs, one per CPU core beside each GPU
            (as host memory allows), or one per node without GPUs (``jobs.worker_plan``).
        gpus_per_worker: GPUs each worker holds; ``None`` means 1 / the workers sharing
            each GPU where the cluster has GPUs and 0 where it has none.
        resume: skip videos a previous run finished with the same input and configuration.
        overwrite: delete the previous run's output first and process everything.
        fail_fast: stop at the first failed video; the videos not yet run are recorded
            as failed.
        progress: ``None`` picks a live bar on a terminal and plain lines otherwise.
        max_attempts: tries per video when its worker process dies.
        videos_per_worker: videos each worker tracks at once; their frames share the
            worker's forward passes. ``None``: by device (``jobs.worker_plan``).
    """

    address: str | None = None
    workers: int | None = None
    gpus_per_worker: float | None = None
    resume: bool = True
    overwrite: bool = False
    fail_fast: bool = False
    progress: bool | None = None
    max_attempts: int = 3
    videos_per_worker: int | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            raise ValueError(f"gpus_per_worker must be >= 0, got {self.gpus_per_worker}")
        if self.videos_per_worker is not None and self.videos_per_worker < 1:
            raise ValueError(f"videos_per_worker must be >= 1, got {self.videos_per_worker}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
