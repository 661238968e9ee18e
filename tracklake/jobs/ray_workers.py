"""Running a job's videos on Ray: worker actors that each hold a model, fed by the dispatcher.

``dispatch_on_ray`` is ``run.run_job``'s default ``Dispatch``. It plans the workers from the
cluster's resources, starts them, and lets ``dispatch.Dispatcher`` keep a bounded number of
videos in flight on each; Ray restarts a worker whose process died, and the dispatcher
decides which of its videos to retry.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any, cast

import ray
from ray.exceptions import (
    ActorUnavailableError,
    GetTimeoutError,
    RayActorError,
    RayTaskError,
)

from tracklake.config import PipelineConfig
from tracklake.io.errors import is_disk_full
from tracklake.io.footer import Footer
from tracklake.jobs.dispatch import Dispatcher, WorkerDied, WorkerRestarting
from tracklake.jobs.errors import JobError
from tracklake.jobs.pipeline import track_video
from tracklake.jobs.ray_session import start_ray
from tracklake.jobs.work import OUT_FULL, Work
from tracklake.jobs.worker_plan import WorkerPlan, plan_workers
from tracklake.types import VideoRef, VideoSummary

_WORKER_START_TIMEOUT_S = 600
_WORKER_RESTART_POLL_S = 1.0


class VideoWorker:
    """A Ray actor holding one detector; tracks up to ``videos_at_once`` videos concurrently
    (one thread each), their frames sharing the detector's forward passes."""

    def __init__(self, pipeline: PipelineConfig, out_dir: str, footer: Footer, plan: WorkerPlan):
        self.out_dir = out_dir
        self.detector, self.plan = plan.load_worker(pipeline)
        self.footer = replace(
            footer,
            model_sha256=self.detector.detector.model_sha256,
            worker_node=ray.get_runtime_context().get_node_id(),
            worker_host=socket.gethostname(),
        )

    def describe(self) -> dict[str, Any]:
        """Where this worker runs: its node and process."""
        return {"node_id": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def track(self, ref: VideoRef) -> VideoSummary:
        return track_video(ref, self.detector, self.plan, self.out_dir, self.footer)


def _error_text(error: BaseException) -> str:
    """The cause of a task's failure, without Ray's traceback wrapping."""
    if isinstance(error, RayTaskError):
        cause = error.cause if error.cause is not None else error
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    return str(error).splitlines()[0]


class _RayWorkers:
    """The worker actors as the dispatcher's ``WorkerPool``."""

    def __init__(self, actors: list[Any], out_dir: str):
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
            return ray.get(cast("ray.ObjectRef[VideoSummary]", task))
        except ActorUnavailableError:  # a RayActorError, but the video never ran
            raise WorkerRestarting from None
        except RayActorError as error:
            raise WorkerDied(_error_text(error)) from None
        except RayTaskError as error:
            if is_disk_full(error.cause):
                return VideoSummary.failed(ref, f"{OUT_FULL} ({self.out_dir})", out_of_space=True)
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


def dispatch_on_ray(work: Work) -> dict[str, VideoSummary]:
    """Track ``work``'s videos on Ray worker actors (starting or joining Ray first).

    Raises:
        JobError: the workers cannot start: Ray is unreachable, the cluster lacks what the
            plan asks for, or the workers cannot load the model.
    """
    start_ray(work.job.address)
    alive_nodes = len([n for n in ray.nodes() if n["Alive"]])
    plan = plan_workers(work.job, work.pipeline, ray.cluster_resources(), alive_nodes)
    work.on_plan(plan)
    worker_class = ray.remote(VideoWorker).options(
        num_cpus=1,
        num_gpus=plan.gpus_per_worker,
        max_restarts=-1,
        max_task_retries=0,
        max_concurrency=plan.device.videos_at_once + 1,  # + 1 so describe() answers while busy
    )
    workers: list[Any] = [  # actor handles: Ray does not type their methods' .remote
        worker_class.remote(work.pipeline, work.out_dir, work.footer, plan)
        for _ in range(min(plan.workers, len(work.order.videos)))
    ]
    try:
        ray.get([w.describe.remote() for w in workers], timeout=_WORKER_START_TIMEOUT_S)
    except (RayActorError, RayTaskError) as error:
        raise JobError(
            f"workers could not load the model {work.model_path}: {_error_text(error)}"
        ) from None
    except GetTimeoutError:
        raise JobError(
            f"workers did not start within {_WORKER_START_TIMEOUT_S} s: the cluster lacks "
            f"the resources for {plan.workers} workers"
        ) from None
    dispatcher = Dispatcher(
        _RayWorkers(workers, work.out_dir),
        # One video queued beyond those running, so a worker never idles between videos.
        plan.device.videos_at_once + 1,
        work.job.max_attempts,
        work.stop_reason,
        work.on_done,
        work.order.unopenable,
    )
    try:
        return dispatcher.run(work.order.videos)
    finally:
        for worker in workers:
            ray.kill(worker)
