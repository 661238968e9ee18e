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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracklake.config import JobConfig, PipelineConfig
from tracklake.jobs.batching import SharedBatcher
from tracklake.jobs.errors import JobError
from tracklake.jobs.memory import map_large_allocations
from tracklake.jobs.plan import CPU_DEFAULTS, GPU_DEFAULTS, DevicePlan, TrackingPlan, plan_device

if TYPE_CHECKING:
    from tracklake.detection import Detector


# Host memory of one GPU worker, with room to spare: measured 1.2 GB PSS (its CUDA context,
# torch, the model, a video's frames) on an H100 with yolov8n.
GPU_WORKER_HOST_BYTES = 1.5 * 2**30


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers, what each asks of the cluster, and how each runs.

    Attributes:
        workers: worker processes, each holding one model.
        gpus_per_worker: the GPU share each asks for (fractions share a GPU).
        device: how each runs (the worker's step of ``plan``).
    """

    workers: int
    gpus_per_worker: float
    device: DevicePlan

    def to_dict(self) -> dict[str, Any]:
        """The plan as ``run.json`` records it."""
        return {
            "workers": self.workers,
            "gpus_per_worker": self.gpus_per_worker,
            **self.device.to_dict(),
        }

    def load_worker(self, pipeline: PipelineConfig) -> tuple[SharedBatcher[Detector], TrackingPlan]:
        """What one worker process holds, set up in the process that will use it (a Ray
        actor, or a plain process in ``bench/gpu_throughput.py``): the model behind a
        batcher its open videos share, and the plan each video runs with.

        Args:
            pipeline: the run's settings after the driver's step (``plan.plan_run``).

        Loads torch: call it in the worker, never in the driver.
        """
        from tracklake.detection import load_detector

        map_large_allocations()
        plan = TrackingPlan.of(pipeline, self.device)
        detector = load_detector(plan.detector, self.device.torch_threads)
        return SharedBatcher(detector, batch=self.device.batch), plan


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
    device = plan_device(pipeline, job, defaults, torch_threads)
    return WorkerPlan(workers, gpus_per_worker, device)


def _workers_per_gpu(resources: dict[str, float]) -> int:
    """Workers that share each GPU by default: one per CPU core beside it, as many as host
    memory holds (decoding bounds a GPU worker: see the module's docstring)."""
    gpus = resources["GPU"]
    workers = int(resources.get("CPU", 0.0) // gpus)
    if "memory" in resources:
        workers = min(workers, int(resources["memory"] / gpus // GPU_WORKER_HOST_BYTES))
    return max(1, workers)
