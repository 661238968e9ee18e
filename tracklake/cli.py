"""The ``tracklake`` command line: thin click commands over the library."""

from __future__ import annotations

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
    """
