"""What the job hands a dispatch function: the videos to track and all it needs to track
them, and the error a dispatch gives a video that found ``OUT`` full (with
``VideoSummary.out_of_space``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracklake.config import JobConfig, PipelineConfig
from tracklake.io.footer import Footer
from tracklake.jobs.work_order import WorkOrder
from tracklake.jobs.worker_plan import WorkerPlan
from tracklake.types import VideoSummary

OUT_FULL = "no space left on OUT"


@dataclass(frozen=True)
class Work:
    """The videos a dispatch function tracks, and everything it needs to track them.

    Attributes:
        order: the videos in the order to hand them out, and those that cannot be opened.
        out_dir: the run's ``OUT`` (``object_store.output_location``).
        pipeline: how each video becomes tracks (its ``classes`` as the model's ids).
        job: how the work is spread.
        footer: the footer entries every tracks file of the run shares (model, fingerprint).
        model_path: the model file, for messages.
        stop_reason: after each finished video, why the job must stop now (``None``: go on);
            the videos not yet started are then recorded as failed.
        on_done: called with each summary as it arrives.
        on_plan: called with the workers' plan once it is made, before any video starts.
    """

    order: WorkOrder
    out_dir: str
    pipeline: PipelineConfig
    job: JobConfig
    footer: Footer
    model_path: Path
    stop_reason: Callable[[VideoSummary], str | None]
    on_done: Callable[[VideoSummary], None]
    on_plan: Callable[[WorkerPlan], None]


# Tracks every video of a ``Work`` into its ``OUT``: video id -> summary, one per video.
Dispatch = Callable[[Work], dict[str, VideoSummary]]
