"""Tracking again from saved detections: ``tracklake retrack OUT -o OUT2 --tracker ...``.

Reads ``OUT/detections/<video>.parquet`` (written by ``track --save-detections``), feeds each
video's frames to a new tracker in order, and writes ``OUT2`` with the output contract of
``track``: ``tracks/<video>.parquet``, ``videos.parquet``, ``run.json``. No decoding, no model:
trying another tracker costs seconds. With the run's tracker and ``conf`` the tracks are those
of the run exactly.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from tracklake.io.detection_store import (
    DETECTIONS_FLOOR,
    SavedDetections,
    read_saved_detections,
    saved_detection_files,
)
from tracklake.io.store import TrackFileWriter, write_run_json, write_videos_table
from tracklake.io.track_summary import write_track_summary
from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.types import VideoSummary


def check_conf(conf: float | None) -> None:
    """Raise ``ValueError`` unless ``conf`` is ``None`` or at least ``DETECTIONS_FLOOR``."""
    if conf is not None and conf < DETECTIONS_FLOOR:
        raise ValueError(
            f"conf {conf} is below {DETECTIONS_FLOOR}, the floor detections were saved down to"
        )


def retrack_video(
    saved: SavedDetections, out_dir: str | Path, tracker: TrackerConfig, conf: float | None = None
) -> VideoSummary:
    """Track one video's saved detections into ``out_dir/tracks/<video>.parquet``.

    Args:
        saved: the video's saved detections.
        out_dir: the new run's folder.
        tracker: the tracker settings; camera-motion compensation (BoT-SORT, TrackTrack)
            needs the frames and is refused (use ``gmc_method: none``).
        conf: keep detections scoring above this; ``None`` keeps the saving run's ``conf``.
    """
    check_conf(conf)
    started = time.monotonic()
    run_tracker = make_tracker(tracker, saved.fps, saved.vid_stride)
    if run_tracker.needs_frame:
        raise ValueError(
            f"tracker {tracker.tracker_type} with gmc_method {tracker.gmc_method!r} needs the "
            "frames; saved detections have none: use a tracker YAML with gmc_method: none"
        )
    kept_above = saved.conf if conf is None else conf
    footer = replace(
        saved.footer,
        config_sha256=None,
        summary=None,
        tracker=tracker.to_dict(),
        retracked_from_conf=kept_above,
    )
    detections = 0
    with TrackFileWriter(out_dir, saved.video_id, saved.class_names, footer) as writer:
        for frame, time_s, frame_detections in saved.frames_with_detections(kept_above):
            writer.append(frame, time_s, run_tracker.update(frame_detections))
            detections += len(frame_detections)
        summary = replace(
            saved.footer.require("summary"),
            detections=detections,
            tracks=len(writer.track_ids),
            seconds=time.monotonic() - started,
        )
        writer.commit(replace(footer, summary=summary))
    return summary


def retrack_run(
    source_out: str | Path, out_dir: str | Path, tracker: TrackerConfig, conf: float | None = None
) -> list[VideoSummary]:
    """Retrack every video of run ``source_out`` into ``out_dir``; see the module docstring.

    Raises:
        ValueError: ``source_out`` has no saved detections, or ``conf`` is below the floor.
    """
    check_conf(conf)
    files = saved_detection_files(source_out)
    if not files:
        raise ValueError(
            f"{Path(source_out) / 'detections'}: no saved detections; "
            "run tracklake track with --save-detections"
        )
    summaries = [
        retrack_video(read_saved_detections(path), out_dir, tracker, conf) for path in files
    ]
    write_videos_table(summaries, out_dir)
    write_track_summary(out_dir)
    write_run_json(
        out_dir,
        {"retracked_from": str(source_out), "tracker": tracker.to_dict(), "conf": conf},
    )
    return summaries
