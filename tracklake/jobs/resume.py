"""Deciding which videos a rerun can skip, from the footers of the tracks files alone.

A tracks file appears only when complete (written under a temporary name, then renamed), and
its footer records the configuration fingerprint, the source's size and mtime, and the
video's summary. So a run killed at any moment can be resumed without ``videos.parquet``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from tracklake.io import layout
from tracklake.io.footer import read_footer
from tracklake.io.object_store import ObjectStore, open_store
from tracklake.io.video_source import source_stat
from tracklake.types import VideoRef, VideoStatus, VideoSummary


def finished_summary(out_dir: str | Path, ref: VideoRef, fingerprint: str) -> VideoSummary | None:
    """The summary of ``ref`` as a ``skipped`` video, if an earlier run finished it ``ok``
    with the same configuration from the same file (size and mtime); else ``None``."""
    store, key = open_store(out_dir), layout.video_key(layout.TRACKS, ref.video_id)
    if not store.exists(key):
        return None
    try:
        with store.open(key) as tracks_file:
            footer = read_footer(tracks_file)
    except (OSError, ValueError, pa.ArrowException):
        return None  # unreadable, or not a footer this version wrote: process the video again
    if (
        footer.config_sha256 != fingerprint
        or (footer.source_size, footer.source_mtime) != source_stat(ref)
        or footer.summary is None
        or footer.summary.status != VideoStatus.OK
        or footer.summary.video_id != ref.video_id
    ):
        return None
    return replace(footer.summary, status=VideoStatus.SKIPPED, extra=dict(ref.extra))


def remove_stale_temp_files(store: ObjectStore) -> int:
    """Delete the temporary objects a killed run left in the folders of one object per video
    (``layout.PER_VIDEO_FOLDERS``); returns how many."""
    stale = [
        key
        for folder in layout.PER_VIDEO_FOLDERS
        for key in store.keys(folder, layout.TEMPORARY_PATTERN)
    ]
    for key in stale:
        store.delete(key)
    return len(stale)
