"""The ``tracklake`` command line: thin click commands over the library."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tracklake import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EXIT_SOME_FAILED = 1
EXIT_USAGE = 2


def _apply(options: list[Callable]) -> Callable:
    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def detector_options(command: Callable) -> Callable:
    """Model and inference options, named and defaulted as in Ultralytics."""
    return _apply(
        [
            click.option("--model", default="yolov8n.pt", show_default=True,
                         help="A .pt or .torchscript file, or a name looked up in "
                         "$TRACKLAKE_WEIGHTS_DIR and Ultralytics' weights folder."),
            click.option("--conf", default=0.25, show_default=True, type=click.FloatRange(0, 1),
                         help="Minimum detection confidence."),
            click.option("--iou", default=0.7, show_default=True, type=click.FloatRange(0, 1),
                         help="NMS IoU threshold."),
            click.option("--classes", default=None,
                         help="Keep only these classes: ids or names, comma-separated "
                         "(e.g. 'person,car' or '0,2')."),
            click.option("--imgsz", default=640, show_default=True, type=click.IntRange(32),
                         help="Network input size (longer side), pixels."),
            click.option("--max-det", default=300, show_default=True, type=click.IntRange(1),
                         help="Most detections per frame."),
            click.option("--batch", default=32, show_default=True, type=click.IntRange(1),
                         help="Frames per forward pass."),
            click.option("--half/--no-half", default=False, show_default=True,
                         help="float16 inference on a GPU."),
            click.option("--device", default="auto", show_default=True,
                         help="auto (first GPU, else CPU), cpu, cuda, cuda:N."),
        ]
    )(command)  # fmt: skip


def tracking_options(command: Callable) -> Callable:
    """Tracker and decoding options."""
    return _apply(
        [
            click.option("--tracker", default="bytetrack", show_default=True,
                         help="bytetrack, botsort, ocsort, or an Ultralytics tracker YAML."),
            click.option("--vid-stride", default=1, show_default=True, type=click.IntRange(1),
                         help="Track every n-th frame."),
            click.option("--decode-threads", default=2, show_default=True,
                         type=click.IntRange(1), help="FFmpeg threads per video."),
        ]
    )(command)  # fmt: skip


def job_options(command: Callable) -> Callable:
    """Where and how the work runs."""
    return _apply(
        [
            click.option("--address", default=None,
                         help="Ray cluster to join: 'auto' or HOST:PORT. Default: an embedded "
                         "local Ray for this run."),
            click.option("--workers", default=None, type=click.IntRange(1),
                         help="Worker processes, each holding one model. Default: one per "
                         "GPU, or one per node without GPUs."),
            click.option("--gpus-per-worker", default=None, type=click.FloatRange(0),
                         help="GPUs per worker. Default: 1 where the cluster has GPUs, else 0."),
            click.option("--videos-per-worker", default=2, show_default=True,
                         type=click.IntRange(1),
                         help="Videos each worker tracks at once, sharing its forward passes."),
            click.option("--resume/--no-resume", default=True, show_default=True,
                         help="Skip videos a previous run into OUT finished with the same "
                         "file and settings."),
            click.option("--overwrite", is_flag=True,
                         help="Delete OUT's previous tracks first and process every video."),
            click.option("--fail-fast", is_flag=True,
                         help="Stop at the first failed video."),
            click.option("--progress/--no-progress", default=None,
                         help="Progress bar (default: on a terminal) or periodic lines."),
        ]
    )(command)  # fmt: skip


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="tracklake")
def main() -> None:
    """Track every object in a video archive and write the tracks to Parquet.

    tracklake shards videos across Ray workers, decodes them with decord, detects objects
    with a YOLO model in large batches, tracks them per video (ByteTrack, BoT-SORT,
    OC-SORT) and writes OUT/tracks/<video>.parquet and OUT/videos.parquet.

    A SOURCE is a video file, a folder (searched recursively), a glob, a manifest
    (.txt, .csv, .jsonl or .parquet with a 'path' column) or an s3:// or gs:// URI.
    """


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--threads", default=1, show_default=True, help="FFmpeg decoding threads.")
def probe(sources: tuple[str, ...], threads: int) -> None:
    """List the videos SOURCES name, with their frames, fps and size, or why they fail.

    Opens every video without decoding it: a dry run of what `tracklake track` would
    process. Exits with 1 when any video cannot be opened.
    """
    from tracklake.io.manifest import ManifestError
    from tracklake.io.probe import probe as probe_video
    from tracklake.io.sources import SourceError, resolve_sources

    try:
        refs = resolve_sources(sources)
    except (SourceError, ManifestError) as error:
        raise click.UsageError(str(error)) from None
    failures = 0
    for ref in refs:
        result = probe_video(ref, num_threads=threads)
        if result.info is None:
            failures += 1
            click.echo(f"{ref.video_id}\tFAILED\t{result.error}")
        else:
            info = result.info
            click.echo(
                f"{ref.video_id}\t{info.frames} frames\t{info.fps:.3f} fps\t"
                f"{info.width}x{info.height}\t{info.duration_s:.2f} s\t{ref.path}"
                + (f"\tPARTIAL: {result.warning}" if result.warning else "")
            )
    click.echo(f"{len(refs)} videos, {failures} cannot be opened", err=True)
    sys.exit(1 if failures else 0)


def _class_ids(classes: str | None, model: str) -> tuple[int, ...] | None:
    """``--classes`` as ids; names are looked up in the model's class names."""
    if not classes:
        return None
    items = [item.strip() for item in classes.split(",") if item.strip()]
    if all(item.isdigit() for item in items):
        return tuple(int(item) for item in items)
    from tracklake.detection import DetectorConfig, load_detector

    names = load_detector(DetectorConfig(model=model, device="cpu")).class_names
    ids_by_name = {name: class_id for class_id, name in names.items()}
    unknown = [item for item in items if not item.isdigit() and item not in ids_by_name]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)} not among the model's classes", param_hint="--classes"
        )
    return tuple(int(item) if item.isdigit() else ids_by_name[item] for item in items)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: tracks/, videos.parquet, run.json.")  # fmt: skip
@detector_options
@tracking_options
@job_options
def track(sources: tuple[str, ...], out: Path, **options: Any) -> None:
    """Detect and track every object in the videos SOURCES name; write Parquet to OUT.

    One tracker per video, fed its frames in order: track ids start at 1 in every video.
    Exits 0 when every video is ok, 1 when some failed or are partial (the summary names
    them), 2 on a usage error.
    """
    from tracklake.config import JobConfig, PipelineConfig
    from tracklake.detection.config import DetectorConfig
    from tracklake.io.manifest import ManifestError
    from tracklake.io.sources import SourceError, resolve_sources
    from tracklake.jobs.driver import JobError, run_job
    from tracklake.tracking import load_tracker_config

    try:
        refs = resolve_sources(sources)
        tracker = load_tracker_config(options["tracker"])
        detector = DetectorConfig(
            model=options["model"], imgsz=options["imgsz"], conf=options["conf"],
            iou=options["iou"], classes=_class_ids(options["classes"], options["model"]),
            max_det=options["max_det"], half=options["half"], device=options["device"],
            batch=options["batch"],
        )  # fmt: skip
        pipeline = PipelineConfig(
            detector, tracker, options["vid_stride"], options["decode_threads"]
        )
        job = JobConfig(
            address=options["address"], workers=options["workers"],
            gpus_per_worker=options["gpus_per_worker"],
            videos_per_worker=options["videos_per_worker"], resume=options["resume"],
            overwrite=options["overwrite"], fail_fast=options["fail_fast"],
            progress=options["progress"],
        )  # fmt: skip
        result = run_job(refs, out, pipeline, job, {"sources": list(sources)})
    except (SourceError, ManifestError, JobError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    sys.exit(0 if result.all_ok else EXIT_SOME_FAILED)


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
def info(out: Path) -> None:
    """Summarise run OUT: videos by status, frames, tracks per class, slowest videos, errors."""
    from tracklake.io.run_report import run_report

    try:
        click.echo(run_report(out))
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None


@main.command("export-mot")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "destination",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for one MOTChallenge .txt file per video.",
)
def export_mot(out: Path, destination: Path) -> None:
    """Write the tracks of run OUT as MOTChallenge files: frame,id,x,y,w,h,score,-1,-1,-1."""
    from tracklake.io.mot import export_mot_run

    written = export_mot_run(out, destination)
    click.echo(f"wrote {len(written)} files to {destination}")
