"""The Ray job: worker actors that each hold a model, fed the videos longest first.

This is the only module that imports ray. The driver resolves the model, skips what a
previous run finished, orders the rest by length, keeps a bounded number of videos in flight
per worker, retries a video whose worker process died, records every other failure without
stopping, and writes ``videos.parquet`` and ``run.json``.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import (
    ActorUnavailableError,
    GetTimeoutError,
    RayActorError,
    RayTaskError,
)

from tracklake.config import JobConfig, PipelineConfig
from tracklake.hashing import file_sha256
from tracklake.io.detection_store import DETECTIONS_DIR
from tracklake.io.probe import probe
from tracklake.io.remote import is_uri
from tracklake.io.store import RUN_FILE, TRACKS_DIR, VIDEOS_FILE, write_run_json, write_videos_table
from tracklake.io.track_summary import TRACK_SUMMARY_FILE, write_track_summary
from tracklake.jobs.batching import SharedBatcher
from tracklake.jobs.memory import map_large_allocations
from tracklake.jobs.pipeline import FINGERPRINT_KEY, source_stat, track_video
from tracklake.jobs.progress import Progress
from tracklake.jobs.resume import finished_summary, remove_stale_temp_files
from tracklake.types import VideoRef, VideoStatus, VideoSummary

_WORKER_START_TIMEOUT_S = 600
_WORKER_RESTART_POLL_S = 1.0
_OBJECT_STORE_BYTES = 512 << 20  # only summaries travel through it


class JobError(RuntimeError):
    """The job cannot start: bad model, resources the cluster lacks, an unreachable cluster."""


@dataclass(frozen=True)
class JobResult:
    """What a finished job produced: one summary per input video, in input order."""

    summaries: list[VideoSummary]
    out_dir: Path
    report: str

    @property
    def all_ok(self) -> bool:
        return all(s.status in (VideoStatus.OK, VideoStatus.SKIPPED) for s in self.summaries)


class VideoWorker:
    """A Ray actor holding one detector; tracks up to ``videos_at_once`` videos concurrently
    (one thread each), their frames sharing the detector's forward passes."""

    def __init__(
        self,
        pipeline: PipelineConfig,
        out_dir: str,
        run_metadata: dict[str, str],
        torch_threads: int,
        videos_at_once: int,
    ):
        import torch

        from tracklake.detection import load_detector

        map_large_allocations()
        torch.set_num_threads(torch_threads)
        self.out_dir = out_dir
        model = load_detector(pipeline.inference_detector())
        self.detector = SharedBatcher(model, batch=pipeline.detector.batch)
        # Each video hands over chunks small enough that the open videos fill a pass together.
        chunk = math.ceil(pipeline.detector.batch / videos_at_once)
        self.pipeline = replace(pipeline, detector=replace(pipeline.detector, batch=chunk))
        self.run_metadata = {
            **run_metadata,
            "tracklake.model_sha256": model.model_sha256,
            "tracklake.worker_node": ray.get_runtime_context().get_node_id(),
            "tracklake.worker_host": socket.gethostname(),
        }

    def describe(self) -> dict[str, Any]:
        """Where this worker runs: its node and process."""
        return {"node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def track(self, ref: VideoRef) -> VideoSummary:
        return track_video(ref, self.detector, self.pipeline, self.out_dir, self.run_metadata)


def resolve_model(model: str) -> Path:
    """The checkpoint ``model`` names, found on the driver before any worker starts."""
    from tracklake.detection.errors import ModelError
    from tracklake.detection.weights import resolve_weights

    try:
        return resolve_weights(model).path
    except ModelError as error:
        raise JobError(str(error)) from None


def prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Create ``OUT``; with ``overwrite`` remove a previous run's outputs (only those)."""
    if overwrite:
        shutil.rmtree(out_dir / TRACKS_DIR, ignore_errors=True)
        shutil.rmtree(out_dir / DETECTIONS_DIR, ignore_errors=True)
        for name in (VIDEOS_FILE, RUN_FILE, TRACK_SUMMARY_FILE):
            (out_dir / name).unlink(missing_ok=True)
    (out_dir / TRACKS_DIR).mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out_dir)


def video_length(ref: VideoRef) -> float:
    """A sort key for longest-first: frames from the container; object size for remote files
    (copying them to count frames would cost a download)."""
    if is_uri(ref.path):
        return float(source_stat(ref.path)[0])
    result = probe(ref)
    return float(result.info.frames) if result.info is not None else 0.0


def longest_first(refs: Sequence[VideoRef]) -> tuple[list[VideoRef], int]:
    """``refs`` sorted longest first, and their total frame count (local files only)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        lengths = list(pool.map(video_length, refs))
    order = sorted(range(len(refs)), key=lambda i: -lengths[i])
    local_frames = sum(int(n) for ref, n in zip(refs, lengths, strict=True) if not is_uri(ref.path))
    return [refs[i] for i in order], local_frames


def start_ray(address: str | None) -> None:
    """Join the cluster at ``address``, or start an embedded one sized to this machine."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    try:
        if address is None:
            ray.init(
                include_dashboard=False,
                num_cpus=os.cpu_count(),
                object_store_memory=_OBJECT_STORE_BYTES,
                **options,
            )
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise JobError(f"cannot connect to the Ray cluster at {address}: {error}") from None


@dataclass(frozen=True)
class WorkerPlan:
    """How many workers, and what each asks of the cluster."""

    workers: int
    gpus_per_worker: float
    torch_threads: int


def plan_workers(job: JobConfig, resources: dict[str, float], nodes: int) -> WorkerPlan:
    """Workers and GPUs for the cluster; asking for what it lacks is an error, not a wait."""
    gpus = resources.get("GPU", 0.0)
    cpus = resources.get("CPU", 0.0)
    gpus_per_worker = job.gpus_per_worker if job.gpus_per_worker is not None else min(gpus, 1.0)
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
    return WorkerPlan(workers, gpus_per_worker, torch_threads)


def _error_text(error: BaseException) -> str:
    """The cause of a task's failure, without Ray's traceback wrapping."""
    if isinstance(error, RayTaskError):
        cause = error.cause if error.cause is not None else error
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    return str(error).splitlines()[0]


class _Dispatcher:
    """Hands videos to workers, a bounded number in flight each, and collects the results."""

    def __init__(
        self,
        workers: list[Any],
        videos_in_flight_per_worker: int,
        max_attempts: int,
        fail_fast: bool,
        on_done: Callable[[VideoSummary], None],
    ):
        self.workers = workers
        self.videos_in_flight_per_worker = videos_in_flight_per_worker
        self.max_attempts = max_attempts
        self.fail_fast = fail_fast
        self.on_done = on_done

    def run(self, queue: list[VideoRef]) -> dict[str, VideoSummary]:
        queue = list(queue)
        attempts: dict[str, int] = {}
        results: dict[str, VideoSummary] = {}
        in_flight: dict[Any, tuple[VideoRef, int]] = {}
        load = [0] * len(self.workers)
        stopping = False
        while (queue and not stopping) or in_flight:
            while queue and not stopping and min(load) < self.videos_in_flight_per_worker:
                worker = load.index(min(load))
                ref = queue.pop(0)
                attempts[ref.video_id] = attempts.get(ref.video_id, 0) + 1
                in_flight[self.workers[worker].track.remote(ref)] = (ref, worker)
                load[worker] += 1
            (done,), _ = ray.wait(list(in_flight), num_returns=1)
            ref, worker = in_flight.pop(done)
            load[worker] -= 1
            try:
                summary = self._collect(done, ref, attempts[ref.video_id])
            except ActorUnavailableError:
                # Sent while its worker was restarting: the video never ran; not an attempt.
                attempts[ref.video_id] -= 1
                summary = None
            if summary is None:
                self._wait_until_alive(self.workers[worker])
                queue.insert(0, ref)
                continue
            results[ref.video_id] = summary
            self.on_done(summary)
            if self.fail_fast and summary.status == VideoStatus.FAILED:
                stopping = True
        for ref in queue:
            results[ref.video_id] = VideoSummary.failed(
                ref, "not run: the job stopped at the first failure (--fail-fast)"
            )
            self.on_done(results[ref.video_id])
        return results

    def _collect(self, done: Any, ref: VideoRef, attempt: int) -> VideoSummary | None:
        """The video's summary; ``None`` when its worker died and it has attempts left."""
        try:
            return ray.get(done)
        except ActorUnavailableError:
            raise
        except RayActorError as error:
            if attempt < self.max_attempts:
                return None
            return VideoSummary.failed(
                ref, f"its worker process died {attempt} times: {_error_text(error)}"
            )
        except RayTaskError as error:
            return VideoSummary.failed(ref, f"{ref.path}: {_error_text(error)}")

    @staticmethod
    def _wait_until_alive(worker: Any) -> None:
        """Block until Ray has restarted ``worker`` (it reloads its model) and it answers."""
        deadline = time.monotonic() + _WORKER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                ray.get(worker.describe.remote(), timeout=_WORKER_START_TIMEOUT_S)
                return
            except (RayActorError, GetTimeoutError):
                time.sleep(_WORKER_RESTART_POLL_S)


def run_job(
    refs: Sequence[VideoRef],
    out_dir: str | Path,
    pipeline: PipelineConfig,
    job: JobConfig,
    run_configuration: dict[str, Any] | None = None,
) -> JobResult:
    """Track every video of ``refs`` into ``out_dir``; see the module docstring.

    Raises:
        JobError: the job cannot start (its message says why); no video has been touched.
    """
    out_dir = Path(out_dir)
    model_path = resolve_model(pipeline.detector.model)
    fingerprint = pipeline.fingerprint(file_sha256(model_path))
    prepare_out_dir(out_dir, job.overwrite)
    write_run_json(out_dir, {**(run_configuration or {}), "pipeline": pipeline.to_dict()})

    done: dict[str, VideoSummary] = {}
    if job.resume and not job.overwrite:
        for ref in refs:
            summary = finished_summary(out_dir, ref, fingerprint)
            if summary is not None:
                done[ref.video_id] = summary
    todo, total_frames = longest_first([ref for ref in refs if ref.video_id not in done])

    progress = Progress(len(refs), total_frames, enabled=job.progress is not False,
                        live=job.progress if job.progress else None)  # fmt: skip
    for summary in done.values():
        progress.video_done(summary)
    if todo:
        done.update(_run_on_ray(todo, out_dir, pipeline, job, model_path, fingerprint, progress))
    summaries = [done[ref.video_id] for ref in refs]
    write_videos_table(summaries, out_dir)
    write_track_summary(out_dir)
    return JobResult(summaries, out_dir, progress.finish(summaries))


def _run_on_ray(
    todo: list[VideoRef],
    out_dir: Path,
    pipeline: PipelineConfig,
    job: JobConfig,
    model_path: Path,
    fingerprint: str,
    progress: Progress,
) -> dict[str, VideoSummary]:
    start_ray(job.address)
    plan = plan_workers(job, ray.cluster_resources(), len([n for n in ray.nodes() if n["Alive"]]))
    worker_class = ray.remote(VideoWorker).options(
        num_cpus=1,
        num_gpus=plan.gpus_per_worker,
        max_restarts=-1,
        max_task_retries=0,
        max_concurrency=job.videos_per_worker + 1,  # + 1 so describe() answers while busy
    )
    run_metadata = {
        "tracklake.model": pipeline.detector.model,
        FINGERPRINT_KEY: fingerprint,
    }
    workers = [
        worker_class.remote(
            pipeline,
            str(out_dir.resolve()),
            run_metadata,
            plan.torch_threads,
            job.videos_per_worker,
        )
        for _ in range(min(plan.workers, len(todo)))
    ]
    try:
        ray.get([w.describe.remote() for w in workers], timeout=_WORKER_START_TIMEOUT_S)
    except (RayActorError, RayTaskError) as error:
        raise JobError(
            f"workers could not load the model {model_path}: {_error_text(error)}"
        ) from None
    except GetTimeoutError:
        raise JobError(
            f"workers did not start within {_WORKER_START_TIMEOUT_S} s: the cluster lacks "
            f"the resources for {plan.workers} workers"
        ) from None
    # One video queued beyond those running, so a worker never idles between videos.
    dispatcher = _Dispatcher(
        workers, job.videos_per_worker + 1, job.max_attempts, job.fail_fast, progress.video_done
    )
    try:
        return dispatcher.run(todo)
    finally:
        for worker in workers:
            ray.kill(worker)
