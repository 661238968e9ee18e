"""``tracklake info``, ``query``, ``render`` and ``export-mot``: reading a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracklake import api
from tracklake.cli.options import RunLocation, api_option
from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.text_table import FORMATS, format_rows


@click.command()
@click.argument("out", type=RunLocation(exists=True))
@api_option(api.info, "rebuild", "--rebuild", is_flag=True,
            help="Also rewrite OUT/track_summary.parquet from OUT/tracks/.")  # fmt: skip
def info(out: Path, rebuild: bool) -> None:
    """Summarise run OUT: videos by status, frames, tracks per class, slowest videos, errors.

    With --rebuild, first rewrite the per-track table OUT/track_summary.parquet (one row
    per video and track), e.g. after tracks files were added or removed by hand.
    """

    try:
        report = api.info(out, rebuild=rebuild)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    if rebuild:
        click.echo(f"wrote {open_store(out).location(layout.TRACK_SUMMARY)}", err=True)
    click.echo(report)


@click.command()
@click.argument("out", type=RunLocation(exists=True))
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
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


@click.command()
@click.argument("out", type=RunLocation(exists=True))
@click.option(
    "--video", default=None, help="The video to draw: its video_id in OUT/videos.parquet."
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
@api_option(
    api.render_video,
    "start_s",
    "--start",
    type=click.FloatRange(0),
    help="--video: first second to draw.",
)
@api_option(
    api.render_video,
    "end_s",
    "--end",
    type=click.FloatRange(0),
    help="--video: second to stop at (default: the end).",
)
@api_option(
    api.render_sheet,
    "videos",
    "--videos",
    type=click.IntRange(1),
    help="--sheet: videos (rows), the first ones of videos.parquet.",
)
@api_option(
    api.render_sheet,
    "frames_per_video",
    "--frames-per-video",
    type=click.IntRange(1),
    help="--sheet: frames (columns) per video, spread over it.",
)
@api_option(
    api.render_sheet,
    "tile_width",
    "--tile-width",
    type=click.IntRange(16),
    help="--sheet: width of each frame, pixels.",
)
@api_option(
    api.render_video,
    "classes",
    "--classes",
    help="Draw only these classes: names or ids, comma-separated.",
)
@api_option(
    api.render_video,
    "scale",
    "--scale",
    type=click.FloatRange(0.05, 4),
    help="--video: output size relative to the source video.",
)
@api_option(
    api.render_video,
    "trail_s",
    "--trail",
    type=click.FloatRange(0),
    help="Seconds of past centres drawn per track.",
)
def render(out: Path, video: str | None, sheet: bool, output: Path, **options: Any) -> None:
    """Draw the tracks of run OUT: one video as an H.264 mp4, or a contact sheet as a PNG.

    With --video, every frame of the video (or of --start/--end) at the source's frame rate,
    each track's box, "<id> <class>" label and a trail of its recent centres drawn in a
    colour that is the same for its id in every video and run; frames without tracks are
    written plainly. With --sheet, one row per video of frames spread over it.
    Needs the render extra (pip install 'tracklake[render]').
    """
    from tracklake.io.errors import VideoError

    if sheet == (video is not None):
        raise click.UsageError("give exactly one of --video ID and --sheet")
    style = {"classes": options["classes"], "trail_s": options["trail_s"]}
    try:
        if video is None:  # --sheet
            rows, columns = api.render_sheet(
                out, output, videos=options["videos"],
                frames_per_video=options["frames_per_video"], tile_width=options["tile_width"],
                **style,
            )  # fmt: skip
            click.echo(f"wrote {output}: {rows} videos x {columns} frames", err=True)
        else:
            frames = api.render_video(
                out, video, output, start_s=options["start_s"], end_s=options["end_s"],
                scale=options["scale"], **style,
            )  # fmt: skip
            click.echo(f"wrote {output}: {frames} frames", err=True)
    except (FileNotFoundError, KeyError, ValueError) as error:
        raise click.UsageError(str(error).strip("'\"")) from None
    except (VideoError, OSError) as error:
        raise click.ClickException(str(error)) from None


@click.command("export-mot")
@click.argument("out", type=RunLocation(exists=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for one MOTChallenge .txt file per video.",
)
def export_mot(out: Path, output: Path) -> None:
    """Write the tracks of run OUT as MOTChallenge files: frame,id,x,y,w,h,score,-1,-1,-1."""
    written = api.export_mot(out, output)
    click.echo(f"wrote {len(written)} files to {output}")
