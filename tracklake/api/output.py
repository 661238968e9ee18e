"""``query``, ``info``, ``render_video``, ``render_sheet`` and ``export_mot``: reading a run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tracklake.api.arguments import class_list

if TYPE_CHECKING:
    import duckdb


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
    kept = class_list(classes or None)
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
