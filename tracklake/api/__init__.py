"""The Python API: one function per ``tracklake`` command, with the command's names and defaults.

The command line is a thin layer over these functions. Their defaults are the settings
dataclasses' (``DetectorConfig``, ``TrackerConfig``, ``PipelineConfig``, ``JobConfig``), read
from the classes here and from these signatures by the command line, never written twice. The
heavy parts (Ray, torch, DuckDB, TrackEval) are imported inside the functions that need them.

Errors are exceptions: a bad source, setting, model, device, output folder or dataset is a
``ValueError`` (a ``PreflightError`` for a run's checks), a job that cannot start a
``JobError``, a full disk an ``OSError`` whose ``errno`` is ``ENOSPC``.
"""

from tracklake.api.arguments import Sources, Tracker
from tracklake.api.labels import TuneOutput, evaluate, tune
from tracklake.api.output import export_mot, info, query, render_sheet, render_video
from tracklake.api.tracking import probe, retrack, track

__all__ = [
    "Sources", "Tracker", "TuneOutput", "evaluate", "export_mot", "info", "probe", "query",
    "render_sheet", "render_video", "retrack", "track", "tune",
]  # fmt: skip
