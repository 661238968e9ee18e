"""The ``tracklake`` command line: thin click commands over the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracklake import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
