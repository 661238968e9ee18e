"""``tracklake eval``, ``retrack`` and ``tune``: scoring against labelled footage and tracking
again from saved detections, over ``tracklake.evaluate``, ``retrack`` and ``tune``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracklake import api
from tracklake.cli.options import (
    TRACKER_NAMES,
    RunLocation,
    address_option,
    api_option,
    gt_option,
    min_score_option,
    tracker_option,
)
from tracklake.eval.scores import TUNABLE_METRICS
from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.jobs.errors import JobError
from tracklake.types import VideoStatus


@click.command("eval")
@click.argument("out", type=RunLocation(exists=True))
@gt_option
@api_option(api.evaluate, "class_name", "--class-name",
            help="The class of the tracks scored against the ground truth.")  # fmt: skip
def eval_command(out: Path, gt: Path, class_name: str) -> None:
    """Score the tracks of run OUT against a labelled dataset, with TrackEval.

    Each sequence of the dataset is matched to the video of OUT with its name as video_id.
    Prints HOTA, DetA, AssA, MOTA, IDF1 (percent), IDSW, FP, FN and the detection and id
    counts per sequence and combined, and writes them to OUT/eval.parquet. Needs TrackEval
    (pip install 'tracklake[eval]').
    """
    from tracklake.eval.scores import format_table

    try:
        scores = api.evaluate(out, gt, class_name=class_name)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(format_table(scores.table))
    if scores.unmatched:
        click.echo(f"not in the run, not scored: {', '.join(scores.unmatched)}", err=True)
    click.echo(f"wrote {open_store(out).location(layout.EVAL)}", err=True)


@click.command()
@click.argument("out", type=RunLocation(exists=True))
@click.option("-o", "--output", required=True, type=RunLocation(),
              help="Folder (or s3:// prefix) for the new tracks: tracks/, videos.parquet, "
              "run.json.")  # fmt: skip
@tracker_option(api.retrack)
@min_score_option(api.retrack)
def retrack(out: Path, output: Path, tracker: str, min_score: float | None) -> None:
    """Track again from the detections run OUT saved (track --save-detections), into the -o folder.

    No decoding, no model: another tracker or another --min-score costs seconds. Same output
    as track; with the run's tracker and no --min-score, the same tracks. Appearance
    (with_reid) needs a run whose tracker used it (its embeddings are saved); camera-motion
    compensation replays the warps a run saved with the same gmc_method, else set
    gmc_method: none.
    """
    try:
        summaries = api.retrack(out, output, tracker=tracker, min_score=min_score)
    except (ValueError, FileNotFoundError) as error:
        raise click.UsageError(str(error)) from None
    tracks = sum(summary.tracks for summary in summaries)
    click.echo(f"retracked {len(summaries)} videos into {output}: {tracks} tracks", err=True)
    failed = [summary for summary in summaries if summary.status == VideoStatus.FAILED]
    for summary in failed:
        click.echo(f"failed: {summary.video_id}: {summary.error}", err=True)
    if failed:
        sys.exit(1)


@click.command()
@gt_option
@click.option("--detections", required=True, type=RunLocation(exists=True),
              help="A run of track --save-detections over the dataset's sequences.")  # fmt: skip
@api_option(api.tune, "tracker", "--tracker",
            help=f"{TRACKER_NAMES}, an Ultralytics tracker YAML, or 'all': every tracker, "
            "each from its defaults.")  # fmt: skip
@api_option(api.tune, "metric", "--metric",
            type=click.Choice(TUNABLE_METRICS),
            help="The combined score to maximise.")  # fmt: skip
@api_option(api.tune, "trials", "--trials", type=click.IntRange(1),
            help="Trials per tracker, its own settings first.")  # fmt: skip
@api_option(api.tune, "seed", "--seed", help="Seed of the random search.")
@api_option(api.tune, "output", "-o", "--output", type=click.Path(file_okay=False, path_type=Path),
            help="Folder for <tracker>-tuned.yaml and trials.parquet.")  # fmt: skip
@min_score_option(api.tune)
@address_option(api.tune)
def tune(gt: Path, detections: Path, tracker: str, metric: str, trials: int, seed: int,
         output: Path, min_score: float | None, address: str | None) -> None:  # fmt: skip
    """Tune trackers' thresholds and buffer to a labelled dataset, with Ray Tune.

    Each trial retracks the saved detections of the dataset's sequences and scores them
    with TrackEval. The configuration to use, chosen by a rule cross-validated over the
    sequences (the defaults when tuning gains nothing held out), is written as a tracker YAML
    for --tracker; the trials as a table (also printed, best first). --tracker all tunes
    every tracker and says which to use. Appearance and camera-motion compensation are
    tuned with when the run saved them (see retrack); else camera motion is left off.
    """
    from tracklake.eval.scores import format_table
    from tracklake.jobs.tune import tune_report

    try:
        tuned = api.tune(
            gt, detections, tracker=tracker, metric=metric, trials=trials, seed=seed,
            output=output, min_score=min_score, address=address,
        )  # fmt: skip
    except (ValueError, FileNotFoundError, JobError) as error:
        raise click.UsageError(str(error)) from None
    for result in tuned.results:
        click.echo(format_table(result.trials, decimals=3))
    written = [*tuned.files.tracker_yamls.values(), tuned.files.trials_file]
    click.echo(tune_report(tuned.results), err=True)
    for reason in tuned.left_out:
        click.echo(f"left out: {reason}", err=True)
    click.echo(f"wrote {', '.join(map(str, written))}", err=True)
