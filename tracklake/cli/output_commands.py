"""``tracklake info``, ``query``, ``render`` and ``export-mot``: reading a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracklake import api
from tracklake.cli.options import apply_all


@click.command()
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


@click.command()
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

    from tracklake.sql import format_rows

    try:
        relation = api.query(out, sql)
        if relation is None:  # a statement without a result, e.g. COPY ... TO
            return
        text = format_rows(relation.columns, relation.fetchall(), fmt)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    except duckdb.Error as error:
        raise click.ClickException(str(error)) from None
    if text:
        click.echo(text)


render_options = apply_all(
    [
        click.option("--classes", default=None,
                     help="Draw only these classes: names or ids, comma-separated."),
        click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(0.05, 4),
                     help="--video: output size relative to the source video."),
        click.option("--trail", "trail_s", default=1.0, show_default=True,
                     type=click.FloatRange(0), help="Seconds of past centres drawn per track."),
    ]
)  # fmt: skip


@click.command()
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
        if video_id is None:  # --sheet
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


@click.command("export-mot")
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
