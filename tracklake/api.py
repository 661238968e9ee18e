"""The Python API: one function per ``tracklake`` command, with the command's names and defaults.

The command line is a thin layer over these functions. Their defaults are the settings
dataclasses' (``DetectorConfig``, ``TrackerConfig``, ``PipelineConfig``, ``JobConfig``), read
from the classes here and from these signatures by the command line, never written twice. The
heavy parts (Ray, torch, DuckDB, TrackEval) are imported inside the functions that need them.

Errors are exceptions: a bad source, setting, model, device, output folder or dataset is a
``ValueError`` (a ``PreflightError`` for a run's checks), a job that cannot start a
``JobError``, a full disk an ``OSError`` whose ``errno`` is ``ENOSPC``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.tracking.config import TrackerConfig, load_tracker_config

if TYPE_CHECKING:
    import duckdb

    from tracklake.eval.run_eval import RunScores
    from tracklake.io.detection_store import SavedDetections
    from tracklake.io.probe import ProbeResult
    from tracklake.jobs.run import JobResult
    from tracklake.jobs.tune import TuneFiles, TuneResult
    from tracklake.types import VideoSummary

Sources = str | Path | Sequence[str | Path]
Tracker = str | Path | TrackerConfig


def _source_list(sources: Sources) -> list[str]:
    """``sources`` as a list of strings: one source alone, or each of several."""
    if isinstance(sources, str | Path):
        return [str(sources)]
    return [str(source) for source in sources]


def _tracker_config(tracker: Tracker) -> TrackerConfig:
    """A ``TrackerConfig`` as given, or read from a short name or YAML file."""
    return tracker if isinstance(tracker, TrackerConfig) else load_tracker_config(tracker)


def _class_list(classes: str | Sequence[int | str] | None) -> tuple[int | str, ...] | None:
    """Classes as ids or names; a string is split at commas (``"person,car"``, ``"0,2"``)."""
    if classes is None:
        return None
    items = classes.split(",") if isinstance(classes, str) else classes
    return tuple(item.strip() if isinstance(item, str) else item for item in items) or None


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

    return [probe_video(ref, num_threads=threads) for ref in resolve_sources(_source_list(sources))]


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
    from tracklake.io.sources import resolve_sources
    from tracklake.jobs.run import run_job

    source_list = _source_list(sources)
    refs = resolve_sources(source_list)
    detector = DetectorConfig(
        model=model, imgsz=imgsz, conf=conf, iou=iou, classes=_class_list(classes),
        max_det=max_det, half=half, device=device, batch=batch,
        unsafe_load_pickle=unsafe_load_pickle,
    )  # fmt: skip
    pipeline = PipelineConfig(
        detector, _tracker_config(tracker), vid_stride, decode_threads, scale_at=scale_at,
        decode_buffer_bytes=decode_buffer_mb << 20, max_frame_pixels=max_frame_pixels,
        save_detections=save_detections,
    )  # fmt: skip
    job = JobConfig(
        address=address, workers=workers, gpus_per_worker=gpus_per_worker,
        videos_per_worker=videos_per_worker, resume=resume, overwrite=overwrite,
        fail_fast=fail_fast, progress=progress,
    )  # fmt: skip
    return run_job(refs, output, pipeline, job, {"sources": source_list})


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

    return retrack_run(run, output, _tracker_config(tracker), min_score)


def evaluate(run: str | Path, gt: str | Path, *, class_name: str = "person") -> RunScores:
    """Score the tracks of ``run`` against the labelled MOTChallenge dataset ``gt`` with
    TrackEval, and write the scores to ``run/eval.parquet``. ``tracklake eval``.

    Each sequence of ``gt`` is matched to the run's video with its name as ``video_id``;
    only tracks of ``class_name`` are scored.

    Returns:
        ``RunScores``: ``table``, one row per sequence and a ``COMBINED`` row (HOTA, DetA,
        AssA, MOTA, IDF1, IDSW, ...), and ``unmatched``, the sequences the run lacks.

    Raises:
        ValueError: ``gt`` is not a dataset, or no sequence of it has tracks in ``run``.
    """
    from tracklake.eval.run_eval import evaluate_run

    return evaluate_run(run, gt, class_name)


@dataclass(frozen=True)
class TuneOutput:
    """What ``tune`` found and wrote.

    Attributes:
        results: one ``TuneResult`` per tracker tuned: its trials, their cross-validation, and
            ``best``, the configuration to use (the defaults when tuning does not gain on the
            sequences held out).
        files: the ``<tracker>-tuned.yaml`` files and ``trials.parquet`` written.
    """

    results: list[TuneResult]
    files: TuneFiles


def tune(
    gt: str | Path,
    detections: str | Path,
    *,
    tracker: Tracker = TrackerConfig.tracker_type,
    metric: str = "HOTA",
    trials: int = 50,
    seed: int = 0,
    output: str | Path = "tuned",
    min_score: float | None = None,
    address: str | None = JobConfig.address,
) -> TuneOutput:
    """Tune trackers' thresholds and buffer to the labelled dataset ``gt`` with Ray Tune; write
    the configuration to use as a tracker YAML per tracker, and the trials as Parquet.
    ``tracklake tune``.

    Args:
        gt: a MOTChallenge dataset.
        detections: a run of ``track(save_detections=True)`` over ``gt``'s sequences.
        tracker: the tracker whose settings are searched (its own are the first trial), or
            ``all``: each registered tracker from its defaults.
        metric: the combined score maximised: HOTA, DetA, AssA, MOTA or IDF1.
        trials: trials per tracker, its own settings included.
        seed: the random search's seed.
        output: the folder for the YAMLs and ``trials.parquet``.
        min_score: as for ``retrack``.
        address: the Ray cluster the trials run on; ``None``: an embedded one.

    Raises:
        ValueError: a sequence of ``gt`` has no saved detections, or a bad setting.
        JobError: the Ray cluster cannot be reached.
    """
    from tracklake.jobs.tune import trackers_to_tune, tune_trackers, write_tune_outputs

    bases = [tracker] if isinstance(tracker, TrackerConfig) else trackers_to_tune(tracker)
    saved = _saved_detections(gt, detections)
    results = tune_trackers(saved, gt, bases, trials, metric, min_score, address, seed)
    return TuneOutput(results, write_tune_outputs(results, output, gt))


def _saved_detections(gt: str | Path, detections: str | Path) -> list[SavedDetections]:
    """The detections run ``detections`` saved of each sequence of the dataset ``gt``.

    Raises:
        ValueError: ``gt`` is not a dataset, or some sequence has no saved detections.
    """
    from tracklake.io.detection_store import detections_path, read_saved_detections
    from tracklake.io.mot_dataset import read_dataset

    files = [detections_path(detections, sequence.name) for sequence in read_dataset(gt)]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise ValueError(f"no saved detections for: {', '.join(missing)}")
    return [read_saved_detections(path) for path in files]


def query(run: str | Path, sql: str) -> duckdb.DuckDBPyRelation | None:
    """Run the DuckDB statement ``sql`` on the output folder ``run``. ``tracklake query``.

    The views ``tracks`` (every ``tracks/*.parquet``), ``videos`` and ``track_summary`` are
    defined. Needs DuckDB (``pip install 'tracklake[query]'``).

    Returns:
        The result as a DuckDB relation (``.fetchall()``, ``.df()``, ``.pl()``,
        ``.to_arrow_table()``, or more SQL over it), or ``None`` for a statement without a
        result (``COPY ... TO``).

    Raises:
        FileNotFoundError: ``run`` is not a run's output folder.
        duckdb.Error: the statement failed.
    """
    from tracklake.sql import connect

    return connect(run).sql(sql)


def info(run: str | Path, *, rebuild: bool = False) -> str:
    """Summarise the output folder ``run``: videos by status, frames, detections and tracks,
    tracks per class, the slowest videos, the errors. ``tracklake info``.

    Args:
        run: a run's output folder.
        rebuild: also rewrite ``run/track_summary.parquet`` from ``run/tracks/`` (after tracks
            files were added or removed by hand).

    Returns:
        The summary as lines of text, as ``tracklake info`` prints it.

    Raises:
        FileNotFoundError: ``run`` holds no ``videos.parquet``; nothing was written.
    """
    from tracklake.io.run_report import run_report
    from tracklake.io.track_summary import write_track_summary

    report = run_report(run)
    if rebuild:
        write_track_summary(run)
    return report


def _render_classes(classes: str | Sequence[int | str] | None) -> list[str] | None:
    """Classes to draw as the renderer takes them: names, or ids as strings."""
    kept = _class_list(classes or None)
    return None if kept is None else [str(item) for item in kept]


def render_video(
    run: str | Path,
    video: str,
    output: str | Path,
    *,
    start_s: float = 0.0,
    end_s: float | None = None,
    classes: str | Sequence[int | str] | None = None,
    scale: float = 1.0,
    trail_s: float = 1.0,
) -> int:
    """Draw the tracks of one video of ``run`` into ``output``, an H.264 mp4 at the source's
    frame rate: each track's box, ``"<id> <class>"`` and a trail of its recent centres, in a
    colour that is the same for its id in every video and run; frames without tracks are
    written plainly. ``tracklake render --video``. Needs the ``render`` extra.

    Args:
        run: a run's output folder.
        video: the ``video_id`` (in ``videos.parquet``) to draw; its source must still open.
        output: the ``.mp4`` to write.
        start_s, end_s: draw the frames whose time is in ``[start_s, end_s)``; ``end_s``
            ``None``: to the end.
        classes: draw only these classes: ids or names, or one comma-separated string;
            ``None`` draws all.
        scale: output size relative to the source (rounded to even pixels).
        trail_s: seconds of past centres drawn per track.

    Returns:
        The number of frames written.

    Raises:
        FileNotFoundError, KeyError: no such run or video.
        ValueError: the time range holds no frame.
        VideoError: the source video can no longer be decoded.
    """
    from tracklake.render import video as rendering

    return rendering.render_video(
        run, video, output, start_s, end_s, _render_classes(classes), scale, trail_s
    )


def render_sheet(
    run: str | Path,
    output: str | Path,
    *,
    videos: int = 8,
    frames_per_video: int = 4,
    tile_width: int = 320,
    classes: str | Sequence[int | str] | None = None,
    trail_s: float = 1.0,
) -> tuple[int, int]:
    """Draw a contact sheet of ``run`` into ``output``, a PNG: one row per video (the first
    ``videos`` tracked, in ``videos.parquet`` order) of ``frames_per_video`` frames spread over
    it, tracks drawn as by ``render_video``. ``tracklake render --sheet``. Needs the ``render``
    extra.

    Args:
        run: a run's output folder.
        output: the ``.png`` to write.
        videos: most videos (rows).
        frames_per_video: frames (columns) per video.
        tile_width: width of each frame in pixels; tiles are as tall as the tallest video's.
        classes, trail_s: as for ``render_video``.

    Returns:
        ``(rows, columns)`` of the sheet.

    Raises:
        FileNotFoundError: not a run's folder, or no video of it was tracked.
        OSError: the PNG cannot be written.
    """
    from tracklake.render import sheet as rendering

    return rendering.render_sheet(
        run, output, videos, frames_per_video, tile_width, _render_classes(classes), trail_s
    )


def export_mot(run: str | Path, output: str | Path) -> list[Path]:
    """Write the tracks of ``run`` as MOTChallenge files, ``output/<video>.txt`` with rows
    ``frame,id,x,y,w,h,score,-1,-1,-1`` (frames 1-based, boxes in pixels), every class.
    ``tracklake export-mot``.

    Returns:
        The files written, one per tracks file of ``run``, in video order; none when ``run``
        has no tracks.
    """
    from tracklake.io.mot import export_mot_run

    return export_mot_run(run, output)
