"""The Ray job: worker actors that each hold a model, fed the videos longest first.

This is the only module that imports ray. The driver resolves the model, skips what a
previous run finished, orders the rest by length, keeps a bounded number of videos in flight
per worker, retries a video whose worker process died, records every other failure without
stopping, and writes ``videos.parquet`` and ``run.json``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray._private import ray_constants
from ray.exceptions import (
    ActorUnavailableError,
    GetTimeoutError,
    RayActorError,
    RayTaskError,
)

from tracklake.config import JobConfig, PipelineConfig
from tracklake.io.detection_store import DETECTIONS_DIR
from tracklake.io.probe import probe
from tracklake.io.remote import is_uri
from tracklake.io.store import (
    RUN_FILE,
    TRACKS_DIR,
    VIDEOS_FILE,
    is_disk_full,
    write_run_json,
    write_videos_table,
)
from tracklake.io.track_summary import TRACK_SUMMARY_FILE, write_track_summary
from tracklake.jobs.dispatch import Dispatcher, WorkerDied, WorkerRestarting
from tracklake.jobs.errors import JobError
from tracklake.jobs.pipeline import FINGERPRINT_KEY, source_stat, track_video
from tracklake.jobs.preflight import check_run
from tracklake.jobs.progress import Progress
from tracklake.jobs.resume import finished_summary, remove_stale_temp_files
from tracklake.jobs.watchdog import start_watchdog
from tracklake.jobs.worker_plan import WorkerPlan, plan_workers
from tracklake.types import VideoRef, VideoStatus, VideoSummary

_WORKER_START_TIMEOUT_S = 600
_WORKER_RESTART_POLL_S = 1.0
_OBJECT_STORE_BYTES = 512 << 20  # only summaries travel through it
_LOOPBACK = "127.0.0.1"
OUT_FULL = "no space left on OUT"
FAIL_FAST_STOP = "the job stopped at the first failure (--fail-fast)"
OUT_FULL_STOP = f"the job stopped: {OUT_FULL}"

# The watchdogs of the embedded Ray sessions this process started. Held for the life of the
# process: the end of a watchdog's pipe, closed when this process ends, ends its session.
_WATCHDOGS: list[subprocess.Popen] = []


@dataclass(frozen=True)
class JobResult:
    """What a finished job produced: one summary per input video, in input order.

    ``out_full`` says that ``OUT`` ran out of space (the job stopped at the first video that
    could not be written), ``unwritten`` which of ``videos.parquet`` and
    ``track_summary.parquet`` there was no space left for.
    """

    summaries: list[VideoSummary]
    out_dir: Path
    report: str
    out_full: bool = False
    unwritten: tuple[str, ...] = ()

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
        plan: WorkerPlan,
    ):
        self.out_dir = out_dir
        self.detector, self.pipeline = plan.load_worker(pipeline)
        self.run_metadata = {
            **run_metadata,
            "tracklake.model_sha256": self.detector.detector.model_sha256,
            "tracklake.worker_node": ray.get_runtime_context().get_node_id(),
            "tracklake.worker_host": socket.gethostname(),
        }

    def describe(self) -> dict[str, Any]:
        """Where this worker runs: its node and process."""
        return {"node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def track(self, ref: VideoRef) -> VideoSummary:
        return track_video(ref, self.detector, self.pipeline, self.out_dir, self.run_metadata)


def prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Create ``OUT``; with ``overwrite`` remove a previous run's outputs (only those)."""
    if overwrite:
        shutil.rmtree(out_dir / TRACKS_DIR, ignore_errors=True)
        shutil.rmtree(out_dir / DETECTIONS_DIR, ignore_errors=True)
        for name in (VIDEOS_FILE, RUN_FILE, TRACK_SUMMARY_FILE):
            (out_dir / name).unlink(missing_ok=True)
    (out_dir / TRACKS_DIR).mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out_dir)


def video_length(ref: VideoRef) -> tuple[float, str]:
    """A sort key for longest-first, and why the video cannot be opened (``""`` when it can).

    Frames from the container; object size for remote files (copying them to count frames
    would cost a download).
    """
    if is_uri(ref.path):
        return float(source_stat(ref.path)[0]), ""
    result = probe(ref)
    return (float(result.info.frames), "") if result.info is not None else (0.0, result.error)


@dataclass(frozen=True)
class WorkOrder:
    """The videos in the order they are handed out, and what the driver learnt of them.

    Attributes:
        videos: those that cannot be opened first (they fail at once, with their cause,
            which ``--fail-fast`` wants to see before any long work), then longest first.
        local_frames: video id -> frame count, for local files.
        unopenable: video id -> why it cannot be opened.
    """

    videos: list[VideoRef]
    local_frames: dict[str, int]
    unopenable: dict[str, str]

    def without(self, finished: Collection[str]) -> WorkOrder:
        """The same order without the videos ``finished`` names."""
        return WorkOrder(
            videos=[ref for ref in self.videos if ref.video_id not in finished],
            local_frames={v: n for v, n in self.local_frames.items() if v not in finished},
            unopenable={v: e for v, e in self.unopenable.items() if v not in finished},
        )


def longest_first(refs: Sequence[VideoRef]) -> WorkOrder:
    """Open every video of ``refs`` (without decoding) and order them; see ``WorkOrder``."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        probed = dict(
            zip([ref.video_id for ref in refs], pool.map(video_length, refs), strict=True)
        )
    lengths = {video_id: length for video_id, (length, _) in probed.items()}
    unopenable = {video_id: error for video_id, (_, error) in probed.items() if error}
    return WorkOrder(
        videos=sorted(refs, key=lambda r: (r.video_id not in unopenable, -lengths[r.video_id])),
        local_frames={r.video_id: int(lengths[r.video_id]) for r in refs if not is_uri(r.path)},
        unopenable=unopenable,
    )


def start_ray(address: str | None) -> None:
    """Join the cluster at ``address``, or start an embedded one sized to this machine."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    try:
        if address is None:
            _start_embedded_ray(options)
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise JobError(f"cannot connect to the Ray cluster at {address}: {error}") from None


def _start_embedded_ray(options: dict[str, Any]) -> None:
    """A local Ray for this process alone: listening on loopback only, in a temporary folder
    of its own (``$RAY_TMPDIR``, else /tmp: Ray's socket paths must stay short), and ended
    with this process however it ends (see ``watchdog``)."""
    root = os.environ.get("RAY_TMPDIR", "/tmp")
    session_dir = Path(tempfile.mkdtemp(prefix="tracklake-ray-", dir=root))
    _WATCHDOGS.append(start_watchdog(session_dir))
    with _loopback_only():
        ray.init(
            _node_ip_address=_LOOPBACK,
            _temp_dir=str(session_dir),
            include_dashboard=False,
            num_cpus=os.cpu_count(),
            object_store_memory=_OBJECT_STORE_BYTES,
            **options,
        )


@contextmanager
def _loopback_only() -> Iterator[None]:
    """Ray's local-only mode (its default on macOS and Windows) while a local Ray starts.

    Each Ray server (GCS, raylet and object manager, every core worker, the runtime-env
    agent) listens on loopback only when the node's address is 127.0.0.1, but on Linux
    ``ray.init`` replaces 127.0.0.1 with the machine's routable address unless clusters are
    disabled; the processes keep the address they are started with.
    """
    enabled = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = enabled


def _error_text(error: BaseException) -> str:
    """The cause of a task's failure, without Ray's traceback wrapping."""
    if isinstance(error, RayTaskError):
        cause = error.cause if error.cause is not None else error
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    return str(error).splitlines()[0]


class _RayWorkers:
    """The worker actors as the dispatcher's ``WorkerPool``."""

    def __init__(self, actors: list[Any], out_dir: Path):
        self.actors = actors
        self.size = len(actors)
        self.out_dir = out_dir

    def submit(self, worker: int, ref: VideoRef) -> Hashable:
        return self.actors[worker].track.remote(ref)

    def wait(self, tasks: Sequence[Hashable]) -> Hashable:
        (done,), _ = ray.wait(list(tasks), num_returns=1)
        return done

    def result(self, task: Hashable, ref: VideoRef) -> VideoSummary:
        try:
            return ray.get(task)
        except ActorUnavailableError:  # a RayActorError, but the video never ran
            raise WorkerRestarting from None
        except RayActorError as error:
            raise WorkerDied(_error_text(error)) from None
        except RayTaskError as error:
            if is_disk_full(error.cause):
                return VideoSummary.failed(ref, f"{OUT_FULL} ({self.out_dir})")
            return VideoSummary.failed(ref, f"{ref.path}: {_error_text(error)}")

    def wait_until_alive(self, worker: int) -> None:
        """Block until Ray has restarted ``worker`` (it reloads its model) and it answers."""
        deadline = time.monotonic() + _WORKER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                ray.get(self.actors[worker].describe.remote(), timeout=_WORKER_START_TIMEOUT_S)
                return
            except (RayActorError, GetTimeoutError):
                time.sleep(_WORKER_RESTART_POLL_S)


def _stop_reason(fail_fast: bool) -> Callable[[VideoSummary], str | None]:
    """Why the job stops after a video: ``OUT`` is full (nothing more can be written), or
    ``--fail-fast`` and the video failed."""

    def stop_reason(summary: VideoSummary) -> str | None:
        if summary.error.startswith(OUT_FULL):
            return OUT_FULL_STOP
        if fail_fast and summary.status == VideoStatus.FAILED:
            return FAIL_FAST_STOP
        return None

    return stop_reason


def run_job(
    refs: Sequence[VideoRef],
    out_dir: str | Path,
    pipeline: PipelineConfig,
    job: JobConfig,
    run_configuration: dict[str, Any] | None = None,
) -> JobResult:
    """Track every video of ``refs`` into ``out_dir``; see the module docstring.

    Raises:
        PreflightError: ``out_dir``, the model, its classes or the device is unusable; found
            before Ray starts or anything is written.
        JobError: the job cannot start (its message says why); no video has been touched.
    """
    out_dir = Path(out_dir)
    with ThreadPoolExecutor(max_workers=1) as checker:
        # Opening the videos to order them overlaps the model check (a child process).
        checked = checker.submit(check_run, out_dir, pipeline, job)
        order = longest_first(refs)
        pipeline, model = checked.result()
    model_path = Path(model.path)
    fingerprint = pipeline.fingerprint(model.sha256)
    prepare_out_dir(out_dir, job.overwrite)
    write_run_json(out_dir, {**(run_configuration or {}), "pipeline": pipeline.to_dict()})

    done: dict[str, VideoSummary] = {}
    if job.resume and not job.overwrite:
        for ref in refs:
            summary = finished_summary(out_dir, ref, fingerprint)
            if summary is not None:
                done[ref.video_id] = summary
    order = order.without(done)

    total_frames = sum(order.local_frames.values())
    progress = Progress(len(refs), total_frames, enabled=job.progress is not False,
                        live=job.progress if job.progress else None)  # fmt: skip
    for summary in done.values():
        progress.video_done(summary)
    if order.videos:
        done.update(_run_on_ray(order, out_dir, pipeline, job, model_path, fingerprint, progress))
    summaries = [done[ref.video_id] for ref in refs]
    unwritten = _write_tables(summaries, out_dir)
    out_full = bool(unwritten) or any(s.error.startswith(OUT_FULL) for s in summaries)
    return JobResult(summaries, out_dir, progress.finish(summaries), out_full, unwritten)


def _write_tables(summaries: list[VideoSummary], out_dir: Path) -> tuple[str, ...]:
    """Write ``videos.parquet``, then ``track_summary.parquet``; the names of those ``OUT``
    had no space left for (each file is whole or absent)."""
    writes = {
        VIDEOS_FILE: lambda: write_videos_table(summaries, out_dir),
        TRACK_SUMMARY_FILE: lambda: write_track_summary(out_dir),
    }
    unwritten = []
    for name, write in writes.items():
        try:
            write()
        except OSError as error:
            if not is_disk_full(error):
                raise
            unwritten.append(name)
    return tuple(unwritten)


def _run_on_ray(
    order: WorkOrder,
    out_dir: Path,
    pipeline: PipelineConfig,
    job: JobConfig,
    model_path: Path,
    fingerprint: str,
    progress: Progress,
) -> dict[str, VideoSummary]:
    start_ray(job.address)
    alive_nodes = len([n for n in ray.nodes() if n["Alive"]])
    plan = plan_workers(job, pipeline, ray.cluster_resources(), alive_nodes)
    worker_class = ray.remote(VideoWorker).options(
        num_cpus=1,
        num_gpus=plan.gpus_per_worker,
        max_restarts=-1,
        max_task_retries=0,
        max_concurrency=plan.videos_at_once + 1,  # + 1 so describe() answers while busy
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
            plan,
        )
        for _ in range(min(plan.workers, len(order.videos)))
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
    dispatcher = Dispatcher(
        _RayWorkers(workers, out_dir),
        # One video queued beyond those running, so a worker never idles between videos.
        plan.videos_at_once + 1,
        job.max_attempts,
        _stop_reason(job.fail_fast),
        progress.video_done,
        order.unopenable,
    )
    try:
        return dispatcher.run(order.videos)
    finally:
        for worker in workers:
            ray.kill(worker)
