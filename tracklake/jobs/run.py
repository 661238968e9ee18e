"""What a tracking run does, whoever runs its videos; no Ray here.

``run_job`` checks the run, prepares ``OUT``, skips what a previous run finished, orders the
rest longest first, hands them to a dispatch function, and writes ``videos.parquet``,
``track_summary.parquet`` and ``run.json``. The dispatch function tracks the videos and
records every failure without stopping: by default on Ray worker processes
(``ray_workers.dispatch_on_ray``, imported only when a run has videos to track).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracklake.config import JobConfig, PipelineConfig
from tracklake.io import layout
from tracklake.io.errors import is_disk_full
from tracklake.io.footer import Footer
from tracklake.io.object_store import open_store, output_location
from tracklake.io.store import write_run_json, write_videos_table
from tracklake.io.track_summary import write_track_summary
from tracklake.jobs.preflight import PreflightError, check_run
from tracklake.jobs.progress import Progress
from tracklake.jobs.resume import finished_summary, remove_stale_temp_files
from tracklake.jobs.work import OUT_FULL, Dispatch, Work
from tracklake.jobs.work_order import longest_first
from tracklake.types import VideoRef, VideoStatus, VideoSummary

if TYPE_CHECKING:
    from tracklake.jobs.worker_plan import WorkerPlan

FAIL_FAST_STOP = "the job stopped at the first failure (--fail-fast)"
OUT_FULL_STOP = f"the job stopped: {OUT_FULL}"


@dataclass(frozen=True)
class JobResult:
    """What a finished job produced: one summary per input video, in input order.

    ``out_full`` says that ``OUT`` ran out of space (the job stopped at the first video that
    could not be written), ``unwritten`` which of ``videos.parquet`` and
    ``track_summary.parquet`` there was no space left for.
    """

    summaries: list[VideoSummary]
    out_full: bool = False
    unwritten: tuple[str, ...] = ()

    @property
    def all_ok(self) -> bool:
        return all(s.status in (VideoStatus.OK, VideoStatus.SKIPPED) for s in self.summaries)


def prepare_out_dir(out_dir: str | Path, overwrite: bool) -> None:
    """With ``overwrite`` remove a previous run's outputs (only those); remove what a run
    that died left half written. ``OUT`` itself appears with its first object."""
    store = open_store(out_dir)
    if overwrite and not store.exists(layout.RUN) and not store.is_empty():
        raise PreflightError(
            f"output {out_dir}: --overwrite refused: it holds files but no {layout.RUN}, so "
            "it is not a tracklake run (nothing was deleted)"
        )
    if overwrite:
        for key in (*layout.PER_VIDEO_FOLDERS, *layout.RUN_OBJECTS):
            store.delete(key)
    remove_stale_temp_files(store)


def stop_reason(fail_fast: bool) -> Callable[[VideoSummary], str | None]:
    """Why the job stops after a video: ``OUT`` is full (nothing more can be written), or
    ``fail_fast`` and the video failed."""

    def reason(summary: VideoSummary) -> str | None:
        if summary.out_of_space:
            return OUT_FULL_STOP
        if fail_fast and summary.status == VideoStatus.FAILED:
            return FAIL_FAST_STOP
        return None

    return reason


def run_job(
    refs: Sequence[VideoRef],
    out_dir: str | Path,
    pipeline: PipelineConfig,
    job: JobConfig,
    run_configuration: dict[str, Any] | None = None,
    dispatch: Dispatch | None = None,
) -> JobResult:
    """Track every video of ``refs`` into ``out_dir``; see the module docstring.

    Args:
        refs: the videos.
        out_dir: the run's ``OUT``.
        pipeline: how each video becomes tracks.
        job: how the work is spread and reported.
        run_configuration: written to ``run.json`` beside the pipeline (the sources, ...).
        dispatch: what tracks the videos; ``None``: Ray workers (``dispatch_on_ray``).

    Raises:
        PreflightError: ``out_dir``, the model, its classes or the device is unusable; found
            before Ray starts or anything is written.
        JobError: the job cannot start (its message says why); no video has been touched.
    """
    out_dir = output_location(out_dir)
    with ThreadPoolExecutor(max_workers=1) as checker:
        # Opening the videos to order them overlaps the model check (a child process).
        checked = checker.submit(check_run, out_dir, pipeline, job)
        order = longest_first(refs)
        pipeline, model = checked.result()
    fingerprint = pipeline.fingerprint(model.sha256, model.reid_sha256)
    prepare_out_dir(out_dir, job.overwrite)
    configuration = {**(run_configuration or {}), "pipeline": pipeline.to_dict()}
    write_run_json(out_dir, configuration)

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
        footer = Footer(model=pipeline.detector.model, config_sha256=fingerprint)
        work = Work(
            order, out_dir, pipeline, job, footer, Path(model.path), stop_reason(job.fail_fast),
            progress.video_done,
            on_plan=lambda plan: _record_workers(out_dir, configuration, plan),
        )  # fmt: skip
        done.update((dispatch or _ray_dispatch())(work))
    summaries = [done[ref.video_id] for ref in refs]
    unwritten = _write_tables(summaries, out_dir)
    progress.finish(summaries)
    out_full = bool(unwritten) or any(s.out_of_space for s in summaries)
    return JobResult(summaries, out_full, unwritten)


def _record_workers(out_dir: str, configuration: dict[str, Any], plan: WorkerPlan) -> None:
    """Rewrite ``run.json`` with how the workers run the job, once they are planned."""
    write_run_json(out_dir, configuration, [plan.to_dict()])


def _ray_dispatch() -> Dispatch:
    """Ray worker processes, imported when first needed: ray loads only for a run that
    tracks videos, and only here."""
    from tracklake.jobs.ray_workers import dispatch_on_ray

    return dispatch_on_ray


def _write_tables(summaries: list[VideoSummary], out_dir: str) -> tuple[str, ...]:
    """Write ``videos.parquet``, then ``track_summary.parquet``; the names of those ``OUT``
    had no space left for (each file is whole or absent)."""
    writes = {
        layout.VIDEOS: lambda: write_videos_table(summaries, out_dir),
        layout.TRACK_SUMMARY: lambda: write_track_summary(out_dir),
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
