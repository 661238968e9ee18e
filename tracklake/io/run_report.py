"""A run's output, summarised: what ``tracklake info OUT`` prints."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.io.store import read_videos_table
from tracklake.types import VideoStatus

_SLOWEST = 5


def tracks_per_class(out_dir: str | Path) -> dict[str, int]:
    """Distinct (video, track) pairs per class name, most frequent first."""
    store = open_store(out_dir)
    keys = store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN)
    if not keys:
        return {}
    table = store.parquet_dataset(keys).to_table(columns=["video_id", "track_id", "class_name"])
    pairs = table.group_by(["class_name", "video_id", "track_id"]).aggregate([])
    counts = pairs.group_by("class_name").aggregate([("video_id", "count")])
    ordered = counts.sort_by([("video_id_count", "descending"), ("class_name", "ascending")])
    return dict(
        zip(ordered["class_name"].to_pylist(), ordered["video_id_count"].to_pylist(), strict=True)
    )


def run_report(out_dir: str | Path) -> str:
    """Videos by status, frames, tracks per class, the slowest videos and the errors.

    Raises:
        FileNotFoundError: ``out_dir`` holds no ``videos.parquet``.
    """
    summaries = read_videos_table(out_dir)
    if not summaries:
        raise FileNotFoundError(f"{out_dir}: no videos.parquet: not a tracklake output folder")
    statuses = Counter(str(s.status) for s in summaries)
    lines = [
        f"videos: {len(summaries)}  "
        + "  ".join(f"{status}: {statuses[str(status)]}" for status in VideoStatus),
        f"frames: {sum(s.frames for s in summaries)}  "
        f"detections: {sum(s.detections for s in summaries)}  "
        f"tracks: {sum(s.tracks for s in summaries)}",
        "tracks per class:",
        *(f"  {name}: {count}" for name, count in tracks_per_class(out_dir).items()),
        "slowest videos:",
    ]
    slowest = sorted(summaries, key=lambda s: -s.seconds)[:_SLOWEST]
    lines += [
        f"  {s.video_id}: {s.seconds:.1f} s, {s.frames} frames "
        f"({s.frames / s.seconds if s.seconds else 0:.1f} frames/s)"
        for s in slowest
    ]
    errors = [s for s in summaries if s.error]
    if errors:
        lines.append("errors:")
        lines += [f"  {s.status} {s.video_id}: {s.error}" for s in errors]
    return "\n".join(lines)
