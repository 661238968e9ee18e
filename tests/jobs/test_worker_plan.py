"""Workers, GPU shares and per-device defaults planned from the cluster's resources."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.jobs.errors import JobError
from tracklake.jobs.plan import CPU_DEFAULTS, GPU_DEFAULTS, TrackingPlan
from tracklake.jobs.worker_plan import plan_workers
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
    assert (plan.workers, plan.gpus_per_worker, plan.device.torch_threads) == expected


def test_defaults_follow_the_device_and_yield_to_the_user():
    gpu = plan_workers(JobConfig(), PIPELINE, {"CPU": 16, "GPU": 1}, 1).device
    cpu = plan_workers(JobConfig(), PIPELINE, {"CPU": 2}, 1).device
    assert (gpu.device_type, gpu.videos_at_once, gpu.decode_threads) == (
        "cuda", GPU_DEFAULTS.videos_at_once, GPU_DEFAULTS.decode_threads)  # fmt: skip
    assert (cpu.device_type, cpu.videos_at_once, cpu.decode_threads) == (
        "cpu", CPU_DEFAULTS.videos_at_once, CPU_DEFAULTS.decode_threads)  # fmt: skip
    assert gpu.batch > cpu.batch
    chosen = PipelineConfig(DetectorConfig(batch=7), PIPELINE.tracker, decode_threads=3)
    device = plan_workers(JobConfig(videos_per_worker=5), chosen, {"CPU": 2}, 1).device
    assert (device.batch, device.videos_at_once, device.decode_threads) == (7, 5, 3)
    assert device.frames_per_request == 2  # 5 videos x 2 frames fill a pass of 7
    plan = TrackingPlan.of(chosen, device)
    assert plan.detector.batch == 7 and plan.pipeline is chosen


def test_the_detector_runs_as_the_tracker_and_saved_detections_need():
    """The plan's detector: embeddings where the tracker matches on appearance, and the
    detections floor where the run saves detections; the run's conf stays the tracker's."""
    appearance = load_tracker_config("botsort")
    appearance = dataclasses.replace(appearance, with_reid=True, model="auto")
    pipeline = PipelineConfig(DetectorConfig(conf=0.3), appearance, save_detections=True)
    device = plan_workers(JobConfig(), pipeline, {"CPU": 2}, 1).device
    plan = TrackingPlan.of(pipeline, device)
    assert (plan.detector.embeddings, plan.detector.conf) == ("auto", DETECTIONS_FLOOR)
    assert plan.pipeline.detector.conf == 0.3


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
from tracklake.jobs.plan import DevicePlan
from tracklake.jobs.worker_plan import WorkerPlan
from tracklake.tracking import load_tracker_config
device = DevicePlan("cpu", batch=6, videos_at_once=4, decode_threads=1, torch_threads={threads})
plan = WorkerPlan(workers=1, gpus_per_worker=0.0, device=device)
detector = DetectorConfig(model={str(yolov8n_weights)!r}, device="cpu", batch=1)
batcher, tracking = plan.load_worker(PipelineConfig(detector, load_tracker_config("bytetrack")))
print(torch.get_num_threads(), batcher.batch, batcher.detector.batch, tracking.detector.batch,
      tracking.device.frames_per_request)
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
