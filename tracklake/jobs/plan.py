"""A run's settings resolved, in two named steps, into the plan a worker runs with.

The user's settings (``PipelineConfig``, ``JobConfig``) leave some choices open: classes by
name, and ``None`` for what depends on the device (frames per forward pass, videos a worker
tracks at once, decoding threads). Each is resolved once:

- the **driver's step** (``plan_run``, in the preflight) fixes what the driver can know: the
  classes as the model's ids. Its result is what ``run.json`` records and the fingerprint
  hashes.
- the **worker's step** (``plan_device``, in ``worker_plan.plan_workers``) fixes what depends
  on the device a kind of worker runs on: ``DevicePlan``.

``TrackingPlan`` joins the two; downstream code (the detector, ``pipeline.track_video``)
reads it as it is, with nothing left to default.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig, default_batch
from tracklake.io.video import DEFAULT_DECODE_THREADS


@dataclass(frozen=True)
class DeviceDefaults:
    """What a worker on a kind of device uses where the user did not say.

    Attributes:
        device_type: ``cuda`` or ``cpu``: picks the batch (``default_batch``).
        videos_at_once: videos a worker tracks concurrently, sharing its forward passes.
        decode_threads: FFmpeg threads per open video.
    """

    device_type: str
    videos_at_once: int
    decode_threads: int


# Why one video and one decoding thread on both: ``worker_plan``'s module docstring.
GPU_DEFAULTS = DeviceDefaults("cuda", videos_at_once=1, decode_threads=DEFAULT_DECODE_THREADS)
CPU_DEFAULTS = DeviceDefaults("cpu", videos_at_once=1, decode_threads=DEFAULT_DECODE_THREADS)


@dataclass(frozen=True)
class DevicePlan:
    """How each worker of one kind runs, every choice resolved for its device.

    Attributes:
        device_type: ``cuda`` or ``cpu``.
        batch: frames per forward pass (the shared batcher's cap).
        videos_at_once: videos each worker tracks concurrently.
        decode_threads: FFmpeg threads per open video.
        torch_threads: CPU threads of the worker's model.
    """

    device_type: str
    batch: int
    videos_at_once: int
    decode_threads: int
    torch_threads: int

    @property
    def frames_per_request(self) -> int:
        """Frames each open video hands the batcher at a time: few enough that the videos
        tracked at once fill a forward pass together."""
        return math.ceil(self.batch / self.videos_at_once)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "frames_per_request": self.frames_per_request}


@dataclass(frozen=True)
class TrackingPlan:
    """Everything a worker needs to turn a video into tracks, every setting resolved.

    Attributes:
        pipeline: the run's settings after the driver's step (classes as the model's ids);
            its ``detector.conf`` is the threshold the tracker sees detections above.
        detector: the detector as it runs (``PipelineConfig.inference_detector``) with the
            device's batch.
        device: the worker's step.
    """

    pipeline: PipelineConfig
    detector: DetectorConfig
    device: DevicePlan

    @classmethod
    def of(cls, pipeline: PipelineConfig, device: DevicePlan) -> TrackingPlan:
        """The plan of ``pipeline`` (after the driver's step) on ``device``."""
        detector = replace(pipeline.inference_detector(), batch=device.batch)
        return cls(pipeline, detector, device)


def plan_run(pipeline: PipelineConfig, class_names: dict[int, str]) -> PipelineConfig:
    """The driver's step: ``pipeline`` with its classes as ids of the model whose classes are
    ``class_names``.

    Raises:
        ValueError: a class is not among ``class_names``.
    """
    classes = pipeline.detector.class_ids(class_names)
    return replace(pipeline, detector=replace(pipeline.detector, classes=classes))


def plan_device(
    pipeline: PipelineConfig, job: JobConfig, defaults: DeviceDefaults, torch_threads: int
) -> DevicePlan:
    """The worker's step: what the user set, and the device's ``defaults`` for the rest."""
    requested_batch = pipeline.detector.batch
    videos = job.videos_per_worker
    threads = pipeline.decode_threads
    return DevicePlan(
        device_type=defaults.device_type,
        batch=default_batch(defaults.device_type) if requested_batch is None else requested_batch,
        videos_at_once=defaults.videos_at_once if videos is None else videos,
        decode_threads=defaults.decode_threads if threads is None else threads,
        torch_threads=torch_threads,
    )
