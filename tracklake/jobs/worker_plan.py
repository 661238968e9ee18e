"""How many workers a job runs, and the settings each gets from the device it runs on.

Defaults differ by device because the bottleneck does. On a GPU, the model is cheap (yolov8n
runs about 4,000 frames/s of 1080p on an H100) and decoding, on the CPU, is what bounds a
worker: one process decodes one video on one core far faster than it can with several
videos in threads (their Python work shares one interpreter). So by default each GPU is
shared by as many workers as there are cores beside it (and host memory for their CUDA
contexts), each tracking one video with one decoding thread: 733 frames/s on an H100 with 16
cores, against 207 for one worker tracking 4 videos (BENCHMARKS.md, "On a GPU"). On a CPU,
the model takes every core and batching gains nothing (a batch of 32 ran at about 0.75x the
speed of a batch of 1 on 2 cores: BENCHMARKS.md), so a worker tracks one video at a time in
small batches and decodes it with one thread, leaving the cores to the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import default_batch
from tracklake.jobs.batching import SharedBatcher
from tracklake.jobs.errors import JobError
from tracklake.jobs.memory import map_large_allocations

if TYPE_CHECKING:
    from tracklake.detection import Detector


@dataclass(frozen=True)
class DeviceDefaults:
    """What a worker uses where the user did not say.

    Attributes:
        device_type: ``cuda`` or ``cpu``: picks the batch (``default_batch``).
        videos_at_once: videos a worker tracks concurrently, sharing its forward passes.
        decode_threads: FFmpeg threads per open video.
    """

    device_type: str
    videos_at_once: int
    decode_threads: int


GPU_DEFAULTS = DeviceDefaults("cuda", videos_at_once=1, decode_threads=1)
CPU_DEFAULTS = DeviceDefaults("cpu", videos_at_once=1, decode_threads=1)
# Host memory of one GPU worker, with room to spare: measured 1.2 GB PSS (its CUDA context,
# torch, the model, a video's frames) on an H100 with yolov8n.
GPU_WORKER_HOST_BYTES = 1.5 * 2**30


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers, what each asks of the cluster, and how each runs.

    Attributes:
        workers: worker processes, each holding one model.
        gpus_per_worker: the GPU share each asks for (fractions share a GPU).
        torch_threads: CPU threads of each worker's model.
        batch: frames per forward pass (``DetectorConfig.batch``, the shared batcher's cap).
        videos_at_once: videos each worker tracks concurrently.
        decode_threads: FFmpeg threads per open video.
    """

    workers: int
    gpus_per_worker: float
    torch_threads: int
    batch: int
    videos_at_once: int
    decode_threads: int

    @property
    def frames_per_request(self) -> int:
        """Frames each open video hands the batcher at a time: few enough that the videos
        tracked at once fill a forward pass together."""
        return math.ceil(self.batch / self.videos_at_once)

    def worker_pipeline(self, pipeline: PipelineConfig) -> PipelineConfig:
        """``pipeline`` with this plan's batch, frames per request and decode threads."""
        return replace(
            pipeline,
            detector=replace(pipeline.detector, batch=self.batch),
            decode_threads=self.decode_threads,
            frames_per_request=self.frames_per_request,
        )

    def load_worker(
        self, pipeline: PipelineConfig
    ) -> tuple[SharedBatcher[Detector], PipelineConfig]:
        """What one worker process holds, set up in the process that will use it (a Ray
        actor, or a plain process in ``bench/gpu_throughput.py``): the model behind a
        batcher its open videos share, and the pipeline each video runs.

        Loads torch: call it in the worker, never in the driver.
        """
        from tracklake.detection import load_detector

        map_large_allocations()
        pipeline = self.worker_pipeline(pipeline)
        detector = load_detector(pipeline.inference_detector(), self.torch_threads)
        return SharedBatcher(detector, batch=self.batch), pipeline


def plan_workers(
    job: JobConfig, pipeline: PipelineConfig, resources: dict[str, float], nodes: int
) -> WorkerPlan:
    """Workers and GPUs for the cluster; asking for what it lacks is an error, not a wait."""
    gpus = resources.get("GPU", 0.0)
    cpus = resources.get("CPU", 0.0)
    if job.gpus_per_worker is not None:
        gpus_per_worker = job.gpus_per_worker
    elif gpus:
        gpus_per_worker = 1 / _workers_per_gpu(resources)
    else:
        gpus_per_worker = 0.0
    if gpus_per_worker > 0:
        workers = job.workers or max(1, int(gpus // gpus_per_worker))
        if workers * gpus_per_worker > gpus:
            raise JobError(
                f"{workers} workers x {gpus_per_worker:g} GPUs need {workers * gpus_per_worker:g} "
                f"GPUs; the cluster has {gpus:g}"
            )
    else:
        workers = job.workers or max(1, nodes)
    if workers > cpus:
        raise JobError(f"{workers} workers need {workers} CPUs; the cluster has {cpus:g}")
    cpus_per_node = cpus / max(nodes, 1)
    torch_threads = max(1, int(cpus_per_node // math.ceil(workers / max(nodes, 1))))
    defaults = GPU_DEFAULTS if gpus_per_worker > 0 else CPU_DEFAULTS
    return WorkerPlan(
        workers=workers,
        gpus_per_worker=gpus_per_worker,
        torch_threads=torch_threads,
        batch=pipeline.detector.batch or default_batch(defaults.device_type),
        videos_at_once=job.videos_per_worker or defaults.videos_at_once,
        decode_threads=pipeline.decode_threads or defaults.decode_threads,
    )


def _workers_per_gpu(resources: dict[str, float]) -> int:
    """Workers that share each GPU by default: one per CPU core beside it, as many as host
    memory holds (decoding bounds a GPU worker: see the module's docstring)."""
    gpus = resources["GPU"]
    workers = int(resources.get("CPU", 0.0) // gpus)
    if "memory" in resources:
        workers = min(workers, int(resources["memory"] / gpus // GPU_WORKER_HOST_BYTES))
    return max(1, workers)
