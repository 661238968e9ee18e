"""The ``tracklake`` command line: thin click commands over the library."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from tracklake import __version__
from tracklake.config import DEFAULT_DECODE_BUFFER_BYTES, SCALE_AT
from tracklake.io.video import DEFAULT_MAX_FRAME_PIXELS

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_OUT_FULL = 3


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
            click.option("--batch", default=None, type=click.IntRange(1),
                         help="Frames per forward pass. Default: 64 on a GPU, 4 on a CPU "
                         "(batching does not pay on a CPU)."),
            click.option("--half/--no-half", default=False, show_default=True,
                         help="float16 inference on a GPU."),
            click.option("--device", default="auto", show_default=True,
                         help="auto (first GPU, else CPU), cpu, cuda, cuda:N."),
        ]
    )(command)  # fmt: skip


tracker_option = click.option(
    "--tracker", default="bytetrack", show_default=True,
    help="bytetrack, botsort, ocsort, or an Ultralytics tracker YAML.",
)  # fmt: skip
address_option = click.option(
    "--address", default=None,
    help="Ray cluster to join: 'auto' or HOST:PORT. Default: an embedded local Ray for this run.",
)  # fmt: skip


def tracking_options(command: Callable) -> Callable:
    """Tracker and decoding options."""
    return _apply(
        [
            tracker_option,
            click.option("--vid-stride", default=1, show_default=True, type=click.IntRange(1),
                         help="Track every n-th frame."),
            click.option("--decode-threads", default=None, type=click.IntRange(1),
                         help="FFmpeg threads per video. Default: 1 on a CPU worker (its "
                         "cores run the model), 2 on a GPU worker."),
            click.option("--scale-at", type=click.Choice(SCALE_AT), default=SCALE_AT[0],
                         show_default=True,
                         help="Where frames are scaled to the model's input: 'decode' (FFmpeg "
                         "scales while decoding; full-size frames are never held) or 'model' "
                         "(full-size frames scaled by the detector, as Ultralytics does)."),
            click.option("--decode-buffer-mb", default=DEFAULT_DECODE_BUFFER_BYTES >> 20,
                         show_default=True, type=click.IntRange(1),
                         help="Most MB of decoded frames held ahead of the model per open "
                         "video (at least one frame)."),
            click.option("--max-frame-pixels", default=DEFAULT_MAX_FRAME_PIXELS,
                         show_default=True, type=click.IntRange(1),
                         help="A video whose header claims larger frames fails before "
                         "decoding."),
        ]
    )(command)  # fmt: skip


def job_options(command: Callable) -> Callable:
    """Where and how the work runs."""
    return _apply(
        [
            address_option,
            click.option("--workers", default=None, type=click.IntRange(1),
                         help="Worker processes, each holding one model. Default: one per "
                         "GPU, or one per node without GPUs."),
            click.option("--gpus-per-worker", default=None, type=click.FloatRange(0),
                         help="GPUs per worker. Default: 1 where the cluster has GPUs, else 0."),
            click.option("--videos-per-worker", default=None, type=click.IntRange(1),
                         help="Videos each worker tracks at once, sharing its forward passes. "
                         "Default: 4 on a GPU worker, 1 on a CPU worker."),
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

    tracklake shards videos across Ray workers, decodes them with FFmpeg (PyAV), detects objects
    with a YOLO model in large batches, tracks them per video (ByteTrack, BoT-SORT,
    OC-SORT) and writes OUT/tracks/<video>.parquet and OUT/videos.parquet.

    A SOURCE is a video file, a folder (searched recursively), a glob, a manifest
    (.txt, .csv, .jsonl or .parquet with a 'path' column), an s3:// or gs:// URI, or a
    MOTChallenge dataset folder (then eval scores the run and tune tunes a tracker to it).
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
    from tracklake.io.mot_dataset import DatasetError
    from tracklake.io.probe import probe as probe_video
    from tracklake.io.sources import SourceError, resolve_sources

    try:
        refs = resolve_sources(sources)
    except (SourceError, ManifestError, DatasetError) as error:
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


def _class_list(classes: str | None) -> tuple[str, ...] | None:
    """``--classes`` split at commas: ids or names, checked against the model by the run."""
    if not classes:
        return None
    return tuple(item.strip() for item in classes.split(",") if item.strip())


class RunError(click.ClickException):
    """A run that cannot start: one line on stderr, exit 2 (the command line itself was fine,
    so no usage text)."""

    exit_code = EXIT_USAGE


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder: tracks/, videos.parquet, run.json.")  # fmt: skip
@click.option("--save-detections", is_flag=True,
              help="Also write every frame's detections, down to a score of 0.05, to "
              "OUT/detections/<video>.parquet, for retrack and tune. The tracks do not "
              "change.")  # fmt: skip
@detector_options
@click.option("--unsafe-load-pickle", is_flag=True,
              help="Unpickle a .pt model without the allow-list of model classes: any "
              "code inside the file runs, on this machine and on every worker. Only for files "
              "you trust. By default a checkpoint that would call anything else is "
              "refused.")  # fmt: skip
@tracking_options
@job_options
def track(sources: tuple[str, ...], out: Path, **options: Any) -> None:
    """Detect and track every object in the videos SOURCES name; write Parquet to OUT.

    A MOTChallenge dataset folder (sequences with seqinfo.ini, as videos or img1/ frames)
    is a SOURCE too: each sequence becomes a video named after it.

    One tracker per video, fed its frames in order: track ids start at 1 in every video.
    Exits 0 when every video is ok, 1 when some failed or are partial (the summary names
    them), 2 on a usage error, 3 when OUT ran out of space (the job stops; every video
    finished so far is kept, and the same command resumes after space is freed).
    """
    from tracklake.config import JobConfig, PipelineConfig
    from tracklake.detection.config import DetectorConfig
    from tracklake.io.sources import resolve_sources
    from tracklake.io.store import is_disk_full
    from tracklake.jobs.driver import JobError, run_job
    from tracklake.tracking import load_tracker_config

    if options["unsafe_load_pickle"]:
        click.echo(
            f"Warning: --unsafe-load-pickle: {options['model']} is unpickled without the "
            "allow-list; any code inside it runs, here and on every worker. Use it only for "
            "files you trust.",
            err=True,
        )
    try:
        refs = resolve_sources(sources)
        tracker = load_tracker_config(options["tracker"])
        detector = DetectorConfig(
            model=options["model"], imgsz=options["imgsz"], conf=options["conf"],
            iou=options["iou"], classes=_class_list(options["classes"]),
            max_det=options["max_det"], half=options["half"], device=options["device"],
            batch=options["batch"], unsafe_load_pickle=options["unsafe_load_pickle"],
        )  # fmt: skip
        pipeline = PipelineConfig(
            detector, tracker, options["vid_stride"], options["decode_threads"],
            scale_at=options["scale_at"],
            decode_buffer_bytes=options["decode_buffer_mb"] << 20,
            max_frame_pixels=options["max_frame_pixels"],
            save_detections=options["save_detections"],
        )  # fmt: skip
        job = JobConfig(
            address=options["address"], workers=options["workers"],
            gpus_per_worker=options["gpus_per_worker"],
            videos_per_worker=options["videos_per_worker"], resume=options["resume"],
            overwrite=options["overwrite"], fail_fast=options["fail_fast"],
            progress=options["progress"],
        )  # fmt: skip
        result = run_job(refs, out, pipeline, job, {"sources": list(sources)})
    # Bad sources, manifests, settings, output folder, model, classes, device: one line.
    except (JobError, ValueError) as error:
        raise RunError(str(error)) from None
    except OSError as error:
        if not is_disk_full(error):
            raise
        _exit_out_full(out, ())
    if result.out_full:
        _exit_out_full(out, result.unwritten)
    sys.exit(0 if result.all_ok else EXIT_SOME_FAILED)


def _exit_out_full(out: Path, unwritten: Sequence[str]) -> NoReturn:
    """Say in one line that ``OUT`` is full and how to go on, and exit ``EXIT_OUT_FULL``."""
    lost = f"; {' and '.join(unwritten)} not written" if unwritten else ""
    click.echo(
        f"Error: no space left on OUT ({out}): the job stopped{lost}. Free space and run the "
        "same command again: it resumes, skipping the videos already finished.",
        err=True,
    )
    sys.exit(EXIT_OUT_FULL)


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rebuild", is_flag=True,
              help="Also rewrite OUT/track_summary.parquet from OUT/tracks/.")  # fmt: skip
def info(out: Path, rebuild: bool) -> None:
    """Summarise run OUT: videos by status, frames, tracks per class, slowest videos, errors.

    With --rebuild, first rewrite the per-track table OUT/track_summary.parquet (one row
    per video and track), e.g. after tracks files were added or removed by hand.
    """
    from tracklake.io.run_report import run_report
    from tracklake.io.track_summary import write_track_summary

    try:
        report = run_report(out)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    if rebuild:
        click.echo(f"wrote {write_track_summary(out)}", err=True)
    click.echo(report)


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True,
              help="Aligned columns, CSV with a header, or a JSON array of objects.")  # fmt: skip
def query(out: Path, sql: str, fmt: str) -> None:
    """Run the DuckDB statement SQL on run OUT and print its result.

    The views tracks (every OUT/tracks/*.parquet), videos (OUT/videos.parquet) and
    track_summary (OUT/track_summary.parquet) are defined, e.g.

    tracklake query OUT "SELECT class_name, count(*) FROM track_summary GROUP BY 1"

    Recipes: docs/queries.md. Needs DuckDB (pip install 'tracklake[query]').
    """
    import duckdb

    from tracklake.query import run_query

    try:
        text = run_query(out, sql, fmt)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    except duckdb.Error as error:
        raise click.ClickException(str(error)) from None
    if text:
        click.echo(text)


def render_options(command: Callable) -> Callable:
    """What ``render`` draws: classes, size, trail."""
    return _apply(
        [
            click.option("--classes", default=None,
                         help="Draw only these classes: names or ids, comma-separated."),
            click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(0.05, 4),
                         help="--video: output size relative to the source video."),
            click.option("--trail", "trail_s", default=1.0, show_default=True,
                         type=click.FloatRange(0), help="Seconds of past centres drawn per track."),
        ]
    )(command)  # fmt: skip


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--video",
    "video_id",
    default=None,
    help="The video to draw: its video_id in OUT/videos.parquet.",
)
@click.option(
    "--sheet",
    is_flag=True,
    help="Draw a contact sheet (PNG) of several videos instead of one video.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .mp4 (--video) or .png (--sheet) to write.",
)
@click.option(
    "--start",
    "start_s",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="--video: first second to draw.",
)
@click.option(
    "--end",
    "end_s",
    default=None,
    type=click.FloatRange(0),
    help="--video: second to stop at (default: the end).",
)
@click.option(
    "--videos",
    default=8,
    show_default=True,
    type=click.IntRange(1),
    help="--sheet: videos (rows), the first ones of videos.parquet.",
)
@click.option(
    "--frames-per-video",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    help="--sheet: frames (columns) per video, spread over it.",
)
@click.option(
    "--tile-width",
    default=320,
    show_default=True,
    type=click.IntRange(16),
    help="--sheet: width of each frame, pixels.",
)
@render_options
def render(out: Path, video_id: str | None, sheet: bool, output: Path, **options: Any) -> None:
    """Draw the tracks of run OUT: one video as an H.264 mp4, or a contact sheet as a PNG.

    With --video, every frame of the video (or of --start/--end) at the source's frame rate,
    each track's box, "<id> <class>" label and a trail of its recent centres drawn in a
    colour that is the same for its id in every video and run; frames without tracks are
    written plainly. With --sheet, one row per video of frames spread over it.
    Needs the render extra (pip install 'tracklake[render]').
    """
    from tracklake.io.errors import VideoError
    from tracklake.render import render_sheet, render_video

    if sheet == (video_id is not None):
        raise click.UsageError("give exactly one of --video ID and --sheet")
    classes = [c.strip() for c in options["classes"].split(",")] if options["classes"] else None
    try:
        if sheet:
            rows, columns = render_sheet(
                out, output, options["videos"], options["frames_per_video"],
                options["tile_width"], classes, options["trail_s"],
            )  # fmt: skip
            click.echo(f"wrote {output}: {rows} videos x {columns} frames", err=True)
        else:
            frames = render_video(
                out, video_id, output, options["start_s"], options["end_s"], classes,
                options["scale"], options["trail_s"],
            )  # fmt: skip
            click.echo(f"wrote {output}: {frames} frames", err=True)
    except (FileNotFoundError, KeyError, ValueError) as error:
        raise click.UsageError(str(error).strip("'\"")) from None
    except (VideoError, OSError) as error:
        raise click.ClickException(str(error)) from None


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


gt_option = click.option(
    "--gt", "dataset", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="MOTChallenge dataset: sequence folders with seqinfo.ini and gt/gt.txt (README).",
)  # fmt: skip
saved_conf_option = click.option(
    "--conf", default=None, type=click.FloatRange(0.05, 1),
    help="Keep saved detections scoring above this. Default: the --conf of the run that saved "
    "them.",
)  # fmt: skip


@main.command("eval")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@gt_option
@click.option("--class-name", default="person", show_default=True,
              help="The class of the tracks scored against the ground truth.")  # fmt: skip
def eval_command(out: Path, dataset: Path, class_name: str) -> None:
    """Score the tracks of run OUT against a labelled dataset, with TrackEval.

    Each sequence of the dataset is matched to the video of OUT with its name as video_id.
    Prints HOTA, DetA, AssA, MOTA, IDF1 (percent), IDSW, FP, FN and the detection and id
    counts per sequence and combined, and writes them to OUT/eval.parquet. Needs TrackEval
    (pip install 'tracklake[eval]').
    """
    from tracklake.eval.run_eval import EVAL_FILE, evaluate_run
    from tracklake.eval.scores import format_table

    try:
        scores = evaluate_run(out, dataset, class_name)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(format_table(scores.table))
    if scores.unmatched:
        click.echo(f"not in the run, not scored: {', '.join(scores.unmatched)}", err=True)
    click.echo(f"wrote {out / EVAL_FILE}", err=True)


@main.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "new_out", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the new tracks: tracks/, videos.parquet, run.json.")  # fmt: skip
@tracker_option
@saved_conf_option
def retrack(out: Path, new_out: Path, tracker: str, conf: float | None) -> None:
    """Track again from the detections run OUT saved (track --save-detections), into NEW_OUT.

    No decoding, no model: another tracker or other thresholds cost seconds. Same output
    as track; with the run's tracker and conf, the same tracks. BoT-SORT needs
    gmc_method: none (the frames are not saved).
    """
    from tracklake.jobs.retrack import retrack_run
    from tracklake.tracking import load_tracker_config

    try:
        summaries = retrack_run(out, new_out, load_tracker_config(tracker), conf)
    except (ValueError, FileNotFoundError) as error:
        raise click.UsageError(str(error)) from None
    tracks = sum(summary.tracks for summary in summaries)
    click.echo(f"retracked {len(summaries)} videos into {new_out}: {tracks} tracks", err=True)


@main.command()
@gt_option
@click.option("--detections", "detections_out", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A run of track --save-detections over the dataset's sequences.")  # fmt: skip
@tracker_option
@click.option("--metric", default="HOTA", show_default=True,
              type=click.Choice(["HOTA", "DetA", "AssA", "MOTA", "IDF1"]),
              help="The combined score to maximise.")  # fmt: skip
@click.option("--trials", default=50, show_default=True, type=click.IntRange(1),
              help="Trials in all, the tracker's own settings first.")  # fmt: skip
@click.option("--seed", default=0, show_default=True, help="Seed of the random search.")
@click.option("-o", "--output", "output_dir", default="tuned", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <tracker>-tuned.yaml and trials.parquet.")  # fmt: skip
@saved_conf_option
@address_option
def tune(dataset: Path, detections_out: Path, tracker: str, metric: str, trials: int, seed: int,
         output_dir: Path, conf: float | None, address: str | None) -> None:  # fmt: skip
    """Tune a tracker's thresholds and buffer to a labelled dataset, with Ray Tune.

    Each trial retracks the saved detections of the dataset's sequences and scores them
    with TrackEval; the best configuration is written as a tracker YAML for --tracker, the
    trials as a table (also printed, best first).
    """
    from tracklake.eval.scores import format_table
    from tracklake.io.detection_store import detections_path, read_saved_detections
    from tracklake.io.mot_dataset import read_dataset
    from tracklake.io.store import write_parquet_atomically
    from tracklake.jobs.driver import JobError
    from tracklake.jobs.tune import tune_tracker, write_tracker_yaml
    from tracklake.tracking import load_tracker_config

    try:
        base = load_tracker_config(tracker)
        sequences = read_dataset(dataset)
        files = [detections_path(detections_out, s.name) for s in sequences]
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise ValueError(f"no saved detections for: {', '.join(missing)}")
        saved = [read_saved_detections(path) for path in files]
        result = tune_tracker(saved, dataset, base, trials, metric, conf, address, seed)
    except (ValueError, FileNotFoundError, JobError) as error:
        raise click.UsageError(str(error)) from None
    yaml_path = write_tracker_yaml(
        result.best, output_dir / f"{base.tracker_type}-tuned.yaml",
        f"tracklake tune: {metric} {result.best_score:.2f} (defaults {result.default_score:.2f})"
        f"\non {dataset}, {trials} trials",
    )  # fmt: skip
    write_parquet_atomically(result.trials, output_dir / "trials.parquet")
    click.echo(format_table(result.trials, decimals=3))
    click.echo(
        f"{metric}: {result.best_score:.2f} tuned, {result.default_score:.2f} with the "
        f"defaults; wrote {yaml_path} and {output_dir / 'trials.parquet'}",
        err=True,
    )
