"""Workers, GPU shares and per-device defaults planned from the cluster's resources."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.jobs.errors import JobError
from tracklake.jobs.worker_plan import CPU_DEFAULTS, GPU_DEFAULTS, plan_workers
from tracklake.tracking import load_tracker_config

PIPELINE = PipelineConfig(DetectorConfig(), load_tracker_config("bytetrack"))


@pytest.mark.parametrize(
    ("job", "resources", "nodes", "expected"),
    [
        # On GPUs: one worker per core beside each GPU (decoding bounds them), as memory allows
        (JobConfig(), {"CPU": 32, "GPU": 4}, 2, (32, 0.125, 1)),
        (JobConfig(), {"CPU": 32, "GPU": 4, "memory": 24 * 2**30}, 2, (16, 0.25, 2)),
        (JobConfig(), {"CPU": 16, "GPU": 1}, 1, (16, 0.0625, 1)),
        (JobConfig(gpus_per_worker=0.25), {"CPU": 16, "GPU": 1}, 1, (4, 0.25, 4)),
        (JobConfig(), {"CPU": 2}, 1, (1, 0.0, 2)),  # CPU only: one per node, all its cores
        (JobConfig(), {"CPU": 4}, 2, (2, 0.0, 2)),
        (JobConfig(workers=3), {"CPU": 8}, 1, (3, 0.0, 2)),
    ],
)
def test_workers_gpu_shares_and_threads(job, resources, nodes, expected):
    plan = plan_workers(job, PIPELINE, resources, nodes)
    assert (plan.workers, plan.gpus_per_worker, plan.torch_threads) == expected


def test_defaults_follow_the_device_and_yield_to_the_user():
    gpu = plan_workers(JobConfig(), PIPELINE, {"CPU": 16, "GPU": 1}, 1)
    cpu = plan_workers(JobConfig(), PIPELINE, {"CPU": 2}, 1)
    assert (gpu.videos_at_once, gpu.decode_threads) == (
        GPU_DEFAULTS.videos_at_once, GPU_DEFAULTS.decode_threads)  # fmt: skip
    assert (cpu.videos_at_once, cpu.decode_threads) == (
        CPU_DEFAULTS.videos_at_once, CPU_DEFAULTS.decode_threads)  # fmt: skip
    assert gpu.batch > cpu.batch
    chosen = PipelineConfig(DetectorConfig(batch=7), PIPELINE.tracker, decode_threads=3)
    plan = plan_workers(JobConfig(videos_per_worker=5), chosen, {"CPU": 2}, 1)
    assert (plan.batch, plan.videos_at_once, plan.decode_threads) == (7, 5, 3)
    worker_pipeline = plan.worker_pipeline(PIPELINE)
    assert (worker_pipeline.detector.batch, worker_pipeline.decode_threads) == (7, 3)
    assert worker_pipeline.frames_per_request == 2  # 5 videos x 2 frames fill a pass of 7


@pytest.mark.slow
def test_a_worker_runs_the_plans_threads_batch_and_requests(yolov8n_weights):
    """In a process of its own (torch's threads are the process's): torch runs with the
    plan's threads, the batcher and the detector with the plan's frames per forward pass,
    and each open video hands over its share of a pass."""
    threads = (os.cpu_count() or 1) + 1  # not torch's default, one per core
    script = f"""
import torch
from tracklake.config import PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.jobs.worker_plan import WorkerPlan
from tracklake.tracking import load_tracker_config
plan = WorkerPlan(workers=1, gpus_per_worker=0.0, torch_threads={threads}, batch=6,
                  videos_at_once=4, decode_threads=1)
detector = DetectorConfig(model={str(yolov8n_weights)!r}, device="cpu", batch=1)
batcher, pipeline = plan.load_worker(PipelineConfig(detector, load_tracker_config("bytetrack")))
print(torch.get_num_threads(), batcher.batch, batcher.detector.batch, pipeline.detector.batch,
      pipeline.frames_per_request)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, check=True)  # fmt: skip
    assert result.stdout.split() == [str(threads), "6", "6", "6", "2"]  # 2 = ceil(6 / 4)


@pytest.mark.parametrize(
    ("job", "resources", "message"),
    [
        (JobConfig(gpus_per_worker=1), {"CPU": 8}, "need 1 GPUs; the cluster has 0"),
        (JobConfig(workers=3, gpus_per_worker=1), {"CPU": 8, "GPU": 2}, "the cluster has 2"),
        (JobConfig(workers=4), {"CPU": 2}, "4 workers need 4 CPUs; the cluster has 2"),
    ],
)
def test_impossible_plans_are_errors_not_waits(job, resources, message):
    with pytest.raises(JobError, match=message):
        plan_workers(job, PIPELINE, resources, 1)
