"""Deciding which videos a rerun can skip, from the footers of the tracks files alone.

A tracks file appears only when complete (written under a temporary name, then renamed), and
its footer records the configuration fingerprint, the source's size and mtime, and the
video's summary. So a run killed at any moment can be resumed without ``videos.parquet``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from tracklake.io.detection_store import DETECTIONS_DIR
from tracklake.io.store import TRACKS_DIR, read_track_metadata, tracks_path
from tracklake.jobs.pipeline import (
    FINGERPRINT_KEY,
    SOURCE_MTIME_KEY,
    SOURCE_SIZE_KEY,
    SUMMARY_KEY,
    source_stat,
)
from tracklake.types import VideoRef, VideoStatus, VideoSummary


def finished_summary(out_dir: str | Path, ref: VideoRef, fingerprint: str) -> VideoSummary | None:
    """The summary of ``ref`` as a ``skipped`` video, if an earlier run finished it ``ok``
    with the same configuration from the same file (size and mtime); else ``None``."""
    path = tracks_path(out_dir, ref.video_id)
    if not path.is_file():
        return None
    try:
        footer = read_track_metadata(path)
    except (OSError, pa.ArrowException):
        return None  # unreadable: process the video again
    size, mtime = source_stat(ref.path)
    if (
        footer.get(FINGERPRINT_KEY) != fingerprint
        or footer.get(SOURCE_SIZE_KEY) != str(size)
        or footer.get(SOURCE_MTIME_KEY) != repr(mtime)
        or SUMMARY_KEY not in footer
    ):
        return None
    summary = VideoSummary(**json.loads(footer[SUMMARY_KEY]), extra=dict(ref.extra))
    if summary.status != VideoStatus.OK or summary.video_id != ref.video_id:
        return None
    return replace(summary, status=VideoStatus.SKIPPED)


def remove_stale_temp_files(out_dir: str | Path) -> int:
    """Delete temporary files left in ``OUT/tracks`` and ``OUT/detections`` by a killed run;
    returns how many."""
    removed = 0
    for folder in (TRACKS_DIR, DETECTIONS_DIR):
        for temp_file in (Path(out_dir) / folder).glob(".*.tmp"):
            temp_file.unlink(missing_ok=True)
            removed += 1
    return removed
