"""``probe``, ``track`` and ``retrack``: from videos (or saved detections) to tracks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tracklake.api.arguments import Sources, Tracker, class_list, source_list, tracker_config
from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.tracking.config import TrackerConfig

if TYPE_CHECKING:
    from tracklake.io.probe import ProbeResult
    from tracklake.jobs.run import JobResult
    from tracklake.types import VideoSummary


def probe(sources: Sources, *, threads: int = 1) -> list[ProbeResult]:
    """Open every video ``sources`` names, without decoding it: what ``track`` would process.

    Args:
        sources: one SOURCE or several (a video, folder, glob, manifest, URI or dataset).
        threads: FFmpeg threads per video.

    Returns:
        One ``ProbeResult`` per video, in source order: its ``info`` (frames, fps, size), or
        ``info`` ``None`` and the ``error`` that stops it opening.

    Raises:
        ValueError: a source names nothing, yields no videos, or two videos share an id.
    """
    from tracklake.io.probe import probe as probe_video
    from tracklake.io.sources import resolve_sources

    return [probe_video(ref, num_threads=threads) for ref in resolve_sources(source_list(sources))]


def track(
    sources: Sources,
    output: str | Path,
    *,
    model: str = DetectorConfig.model,
    conf: float = DetectorConfig.conf,
    iou: float = DetectorConfig.iou,
    classes: str | Sequence[int | str] | None = DetectorConfig.classes,
    imgsz: int = DetectorConfig.imgsz,
    max_det: int = DetectorConfig.max_det,
    batch: int | None = DetectorConfig.batch,
    half: bool = DetectorConfig.half,
    device: str = DetectorConfig.device,
    unsafe_load_pickle: bool = DetectorConfig.unsafe_load_pickle,
    tracker: Tracker = TrackerConfig.tracker_type,
    vid_stride: int = PipelineConfig.vid_stride,
    decode_threads: int | None = PipelineConfig.decode_threads,
    scale_at: str = PipelineConfig.scale_at,
    decode_buffer_mb: int = PipelineConfig.decode_buffer_bytes >> 20,
    max_frame_pixels: int = PipelineConfig.max_frame_pixels,
    save_detections: bool = PipelineConfig.save_detections,
    address: str | None = JobConfig.address,
    workers: int | None = JobConfig.workers,
    gpus_per_worker: float | None = JobConfig.gpus_per_worker,
    videos_per_worker: int | None = JobConfig.videos_per_worker,
    resume: bool = JobConfig.resume,
    overwrite: bool = JobConfig.overwrite,
    fail_fast: bool = JobConfig.fail_fast,
    progress: bool | None = JobConfig.progress,
) -> JobResult:
    """Detect and track every object in the videos ``sources`` names; write Parquet to
    ``output`` (``tracks/<video>.parquet``, ``videos.parquet``, ``track_summary.parquet``,
    ``run.json``). ``tracklake track``.

    Args:
        sources: one SOURCE or several: a video, folder, glob, manifest, ``s3://``/``gs://``
            URI or MOTChallenge dataset folder (README, "Sources").
        output: the output folder, created if needed.
        model, conf, iou, imgsz, max_det, batch, half, device, unsafe_load_pickle: the
            detector (``DetectorConfig``); ``conf`` is the detector's confidence threshold.
        classes: keep only these classes: ids or names, or one comma-separated string.
        tracker: a tracker's short name (``bytetrack``, ``botsort``, ``ocsort``, ``deepocsort``,
            ``fasttrack``, ``tracktrack``), a tracker YAML, or a ``TrackerConfig``.
        vid_stride, decode_threads, scale_at, max_frame_pixels, save_detections: how each
            video becomes tracks (``PipelineConfig``).
        decode_buffer_mb: most MB of decoded frames held ahead of the model per open video.
        address, workers, gpus_per_worker, videos_per_worker, resume, overwrite, fail_fast,
            progress: how the job runs (``JobConfig``).

    Returns:
        The job's result: one ``VideoSummary`` per video in input order, ``all_ok``, and
        ``out_full`` when ``output`` ran out of space (the job then stopped early).

    Raises:
        ValueError: a bad source or setting; ``PreflightError`` (a ``ValueError``): the
            output folder, model, classes or device is unusable. Nothing was written.
        JobError: the job cannot start (an unreachable cluster, missing resources).
        OSError: ``output`` is full (``errno.ENOSPC``) before the job could record anything.
    """
    from tracklake.io.http_source import recorded_source
    from tracklake.io.sources import resolve_sources
    from tracklake.jobs.run import run_job

    named = source_list(sources)
    refs = resolve_sources(named)
    detector = DetectorConfig(
        model=model, imgsz=imgsz, conf=conf, iou=iou, classes=class_list(classes),
        max_det=max_det, half=half, device=device, batch=batch,
        unsafe_load_pickle=unsafe_load_pickle,
    )  # fmt: skip
    pipeline = PipelineConfig(
        detector, tracker_config(tracker), vid_stride, decode_threads, scale_at=scale_at,
        decode_buffer_bytes=decode_buffer_mb << 20, max_frame_pixels=max_frame_pixels,
        save_detections=save_detections,
    )  # fmt: skip
    job = JobConfig(
        address=address, workers=workers, gpus_per_worker=gpus_per_worker,
        videos_per_worker=videos_per_worker, resume=resume, overwrite=overwrite,
        fail_fast=fail_fast, progress=progress,
    )  # fmt: skip
    recorded = [recorded_source(source) for source in named]  # no presigned URL's query
    return run_job(refs, output, pipeline, job, {"sources": recorded})


def retrack(
    run: str | Path,
    output: str | Path,
    *,
    tracker: Tracker = TrackerConfig.tracker_type,
    min_score: float | None = None,
) -> list[VideoSummary]:
    """Track again from the detections ``run`` saved (``track(save_detections=True)``), into
    ``output``, with the output of ``track``. No decoding, no model. ``tracklake retrack``.

    Args:
        run: the output folder of a run that saved its detections.
        output: the new run's folder.
        tracker: as for ``track``; appearance (``with_reid``) needs a run that saved
            embeddings, camera-motion compensation a run that saved the warps of the same
            ``gmc_method`` (see ``jobs.retrack.check_retrackable``).
        min_score: feed the tracker only the saved detections scoring above this; at least
            ``DETECTIONS_FLOOR`` (0.05), the score they were saved down to. ``None``: the
            ``conf`` of the run that saved them, which reproduces its tracks exactly.
            Unlike ``track``'s ``conf`` it filters boxes already detected; the detector
            does not run again.

    Returns:
        One ``VideoSummary`` per video, in the order of the saved files.

    Raises:
        ValueError: ``run`` saved no detections, ``min_score`` is below the floor, or the
            tracker needs frames.
    """
    from tracklake.jobs.retrack import retrack_run

    return retrack_run(run, output, tracker_config(tracker), min_score)
