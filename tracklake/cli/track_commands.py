"""``tracklake probe`` and ``tracklake track``: over ``tracklake.probe`` and ``tracklake.track``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from tracklake import api
from tracklake.cli.options import (
    RunLocation,
    address_option,
    api_option,
    apply_all,
    tracker_option,
)
from tracklake.config import SCALE_AT
from tracklake.detection.config import default_batch
from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.io.errors import is_disk_full
from tracklake.jobs.errors import JobError

EXIT_SOME_FAILED = 1
EXIT_OUT_FULL = 3


@click.command()
@click.argument("sources", nargs=-1, required=True)
@api_option(api.probe, "threads", "--threads", help="FFmpeg decoding threads.")
def probe(sources: tuple[str, ...], threads: int) -> None:
    """List the videos SOURCES name, with their frames, fps and size, or why they fail.

    Opens every video without decoding it: a dry run of what `tracklake track` would
    process. Exits with 1 when any video cannot be opened.
    """
    try:
        results = api.probe(sources, threads=threads)
    except ValueError as error:  # a source that names nothing, a bad manifest or dataset
        raise click.UsageError(str(error)) from None
    failures = 0
    for result in results:
        ref, info = result.ref, result.info
        if info is None:
            failures += 1
            click.echo(f"{ref.video_id}\tFAILED\t{result.error}")
        else:
            click.echo(
                f"{ref.video_id}\t{info.frames} frames\t{info.fps:.3f} fps\t"
                f"{info.width}x{info.height}\t{info.duration_s:.2f} s\t{ref.path}"
                + (f"\tPARTIAL: {result.warning}" if result.warning else "")
            )
    click.echo(f"{len(results)} videos, {failures} cannot be opened", err=True)
    sys.exit(EXIT_SOME_FAILED if failures else 0)


def track_option(name: str, *flags: str, **attributes: Any) -> Any:
    """An option of ``track`` for the parameter ``name`` of ``tracklake.track``."""
    return api_option(api.track, name, *flags, **attributes)


detector_options = apply_all(
    [
        track_option("model", "--model",
                     help="A .pt, .torchscript or .onnx file, or a name looked up in "
                     "$TRACKLAKE_WEIGHTS_DIR and Ultralytics' weights folder."),
        track_option("conf", "--conf", type=click.FloatRange(0, 1),
                     help="Minimum detection confidence: the detector's threshold."),
        track_option("iou", "--iou", type=click.FloatRange(0, 1), help="NMS IoU threshold."),
        track_option("classes", "--classes",
                     help="Keep only these classes: ids or names, comma-separated "
                     "(e.g. 'person,car' or '0,2')."),
        track_option("imgsz", "--imgsz", type=click.IntRange(32),
                     help="Network input size (longer side), pixels."),
        track_option("max_det", "--max-det", type=click.IntRange(1),
                     help="Most detections per frame."),
        track_option("batch", "--batch", type=click.IntRange(1),
                     help=f"Frames per forward pass. Default: {default_batch('cuda')} on a GPU, "
                     f"{default_batch('cpu')} on a CPU (batching does not pay on a CPU)."),
        track_option("half", "--half/--no-half", help="float16 inference on a GPU."),
        track_option("device", "--device", help="auto (first GPU, else CPU), cpu, cuda, cuda:N."),
    ]
)  # fmt: skip

tracking_options = apply_all(
    [
        tracker_option(api.track),
        track_option("vid_stride", "--vid-stride", type=click.IntRange(1),
                     help="Track every n-th frame."),
        track_option("decode_threads", "--decode-threads", type=click.IntRange(1),
                     help="FFmpeg threads per video. Default: 1 (on a CPU the cores run the "
                     "model; on a GPU node more workers decode faster than more threads)."),
        track_option("scale_at", "--scale-at", type=click.Choice(SCALE_AT),
                     help="Where frames are scaled to the model's input: 'decode' (FFmpeg "
                     "scales while decoding; full-size frames are never held) or 'model' "
                     "(full-size frames scaled by the detector, as Ultralytics does)."),
        track_option("decode_buffer_mb", "--decode-buffer-mb", type=click.IntRange(1),
                     help="Most MB of decoded frames held ahead of the model per open video "
                     "(at least one frame)."),
        track_option("max_frame_pixels", "--max-frame-pixels", type=click.IntRange(1),
                     help="A video whose header claims larger frames fails before decoding."),
    ]
)  # fmt: skip

job_options = apply_all(
    [
        address_option(api.track),
        track_option("workers", "--workers", type=click.IntRange(1),
                     help="Worker processes, each holding one model. Default: on GPUs, one per "
                     "CPU core beside each GPU (as host memory allows: decoding bounds them); "
                     "one per node without GPUs."),
        track_option("gpus_per_worker", "--gpus-per-worker", type=click.FloatRange(0),
                     help="GPUs per worker. Default: 1 / the workers sharing each GPU where the "
                     "cluster has GPUs, else 0."),
        track_option("videos_per_worker", "--videos-per-worker", type=click.IntRange(1),
                     help="Videos each worker tracks at once, sharing its forward passes. "
                     "Default: 1."),
        track_option("resume", "--resume/--no-resume",
                     help="Skip videos a previous run into OUT finished with the same file and "
                     "settings."),
        track_option("overwrite", "--overwrite", is_flag=True,
                     help="Delete OUT's previous tracks first and process every video."),
        track_option("fail_fast", "--fail-fast", is_flag=True,
                     help="Stop at the first failed video."),
        track_option("progress", "--progress/--no-progress",
                     help="Progress bar (default: on a terminal) or periodic lines."),
    ]
)  # fmt: skip


class RunError(click.ClickException):
    """A run that cannot start: one line on stderr and a usage error's exit code, 2, without
    the usage text (the command line itself was fine)."""

    exit_code = click.UsageError.exit_code


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=RunLocation(),
              help="Output folder, or an s3:// (gs://) prefix: tracks/, videos.parquet, "
              "run.json.")  # fmt: skip
@track_option("save_detections", "--save-detections", is_flag=True,
              help="Also write every frame's detections, down to a score of "
              f"{DETECTIONS_FLOOR}, to "
              "OUT/detections/<video>.parquet, for retrack and tune, with their appearance "
              "embeddings when the tracker uses them (with_reid) and each frame's camera "
              "motion when it compensates it (gmc_method). The tracks do not change.")  # fmt: skip
@detector_options
@track_option("unsafe_load_pickle", "--unsafe-load-pickle", is_flag=True,
              help="Unpickle a .pt model without the allow-list of model classes: any "
              "code inside the file runs, on this machine and on every worker. Only for files "
              "you trust. By default a checkpoint that would call anything else is "
              "refused.")  # fmt: skip
@tracking_options
@job_options
def track(sources: tuple[str, ...], output: Path, **options: Any) -> None:
    """Detect and track every object in the videos SOURCES name; write Parquet to OUT.

    A SOURCE is a video, a folder, a glob, a manifest, an s3:// or gs:// object or prefix, or
    an http(s):// URL (a presigned URL's query is used to fetch it and written nowhere).
    OUT is a folder or an s3:// (gs://) prefix.

    A MOTChallenge dataset folder (sequences with seqinfo.ini, as videos or img1/ frames)
    is a SOURCE too: each sequence becomes a video named after it.

    One tracker per video, fed its frames in order: track ids start at 1 in every video.
    Exits 0 when every video is ok, 1 when some failed or are partial (the summary names
    them), 2 on a usage error, 3 when OUT ran out of space (the job stops; every video
    finished so far is kept, and the same command resumes after space is freed).
    """
    if options["unsafe_load_pickle"]:
        click.echo(
            f"Warning: --unsafe-load-pickle: {options['model']} is unpickled without the "
            "allow-list; any code inside it runs, here and on every worker. Use it only for "
            "files you trust.",
            err=True,
        )
    try:
        result = api.track(sources, output, **options)
    # Bad sources, manifests, settings, output folder, model, classes, device: one line.
    except (JobError, ValueError) as error:
        raise RunError(str(error)) from None
    except OSError as error:
        if is_disk_full(error):
            _exit_out_full(output, ())
        _exit_out_unwritable(output, error)
    if result.out_full:
        _exit_out_full(output, result.unwritten)
    sys.exit(0 if result.all_ok else EXIT_SOME_FAILED)


def _exit_out_unwritable(output: Path, error: OSError) -> NoReturn:
    """Say in one line that ``OUT`` could not be written (a bucket gone or unreachable, a
    folder unmounted) and exit ``EXIT_SOME_FAILED``: the videos written before are kept."""
    cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
    click.echo(
        f"Error: cannot write to OUT ({output}): {cause}. The videos written before are kept: "
        "run the same command again to resume.",
        err=True,
    )
    sys.exit(EXIT_SOME_FAILED)


def _exit_out_full(output: Path, unwritten: Sequence[str]) -> NoReturn:
    """Say in one line that ``OUT`` is full and how to go on, and exit ``EXIT_OUT_FULL``."""
    lost = f"; {' and '.join(unwritten)} not written" if unwritten else ""
    click.echo(
        f"Error: no space left on OUT ({output}): the job stopped{lost}. Free space and run "
        "the same command again: it resumes, skipping the videos already finished.",
        err=True,
    )
    sys.exit(EXIT_OUT_FULL)
