"""The ``tracklake`` command line: thin click commands over the Python API (``tracklake.api``).

Each command parses its options, calls one API function, prints and sets the exit code.
"""

from __future__ import annotations

import click

from tracklake import __version__
from tracklake.cli.label_commands import eval_command, retrack, tune
from tracklake.cli.output_commands import export_mot, info, query, render
from tracklake.cli.track_commands import probe, track

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="tracklake")
def main() -> None:
    """Track every object in a video archive and write the tracks to Parquet.

    tracklake shards videos across Ray workers, decodes them with FFmpeg (PyAV), detects objects
    with a YOLO model in large batches, tracks them per video (ByteTrack, BoT-SORT,
    OC-SORT, Deep OC-SORT, FastTrack, TrackTrack) and writes OUT/tracks/<video>.parquet and
    OUT/videos.parquet.

    A SOURCE is a video file, a folder (searched recursively), a glob, a manifest
    (.txt, .csv, .jsonl or .parquet with a 'path' column), an s3:// or gs:// URI, or a
    MOTChallenge dataset folder (then eval scores the run and tune tunes a tracker to it).

    Every command is also a Python function with the same names and defaults:
    tracklake.track(sources, output, classes="person", ...), tracklake.retrack, tracklake.evaluate,
    tracklake.tune, tracklake.query (a DuckDB relation) and tracklake.probe (README, "Python
    API").
    """


for command in (probe, track, info, query, render, export_mot, eval_command, retrack, tune):
    main.add_command(command)
