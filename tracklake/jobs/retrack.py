"""Tracking again from saved detections: ``tracklake retrack OUT -o OUT2 --tracker ...``.

Reads ``OUT/detections/<video>.parquet`` (written by ``track --save-detections``), feeds each
video's frames to a new tracker in order, and writes ``OUT2`` with the output contract of
``track``: ``tracks/<video>.parquet``, ``videos.parquet``, ``run.json``. No decoding, no model:
trying another tracker costs seconds. With the run's tracker and its ``conf`` the tracks are those
of the run exactly.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path, PurePosixPath

from tracklake.io import layout
from tracklake.io.detection_store import (
    DETECTIONS_FLOOR,
    DamagedDetectionsError,
    SavedDetections,
    read_saved_detections,
    saved_detection_keys,
)
from tracklake.io.object_store import ObjectStore, open_store
from tracklake.io.store import TrackFileWriter, write_run_json, write_videos_table
from tracklake.io.track_summary import write_track_summary
from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.tracking.recovered import for_tracker, recovered_count
from tracklake.types import VideoRef, VideoSummary

log = logging.getLogger(__name__)


def check_min_score(min_score: float | None) -> None:
    """Raise ``ValueError`` unless ``min_score`` is ``None`` or at least ``DETECTIONS_FLOOR``."""
    if min_score is not None and min_score < DETECTIONS_FLOOR:
        raise ValueError(
            f"min_score {min_score} is below {DETECTIONS_FLOOR}, "
            "the floor detections were saved down to"
        )


def check_retrackable(saved: SavedDetections, tracker: TrackerConfig) -> None:
    """Raise ``ValueError`` unless ``saved`` holds what ``tracker`` needs besides boxes:
    for appearance (``with_reid``) the embeddings of its ``model``, and for camera-motion
    compensation the warps of its ``gmc_method``, saved by a run whose tracker used them."""
    where = f"{saved.video_id}'s saved detections"
    if tracker.uses_appearance and not saved.has_embeddings:
        raise ValueError(
            f"{where} have no appearance embeddings (the run's tracker did not use "
            "appearance): set with_reid: false, or track again with --save-detections and "
            "a tracker with with_reid: true"
        )
    if tracker.uses_appearance and tracker.model != saved.embeddings_model:
        raise ValueError(
            f"{where} have the embeddings of model {saved.embeddings_model!r}; tracker "
            f"{tracker.tracker_type} wants those of {tracker.model!r}: use model: "
            f"{saved.embeddings_model}"
        )
    method = tracker.gmc_method
    if tracker.compensates_camera_motion and method != saved.camera_motion:
        found = (
            f"camera motion found by {saved.camera_motion}"
            if saved.camera_motion
            else "no camera motion (the run's tracker did not compensate it)"
        )
        raise ValueError(
            f"{where} have {found}; tracker {tracker.tracker_type} wants gmc_method "
            f"{method!r}: use gmc_method: {saved.camera_motion or 'none'}"
        )


def retrack_video(
    saved: SavedDetections,
    out_dir: str | Path,
    tracker: TrackerConfig,
    min_score: float | None = None,
) -> VideoSummary:
    """Track one video's saved detections into ``out_dir/tracks/<video>.parquet``.

    Args:
        saved: the video's saved detections.
        out_dir: the new run's folder.
        tracker: the tracker settings; appearance (``with_reid``) and camera-motion
            compensation use what the saving run stored (see ``check_retrackable``).
        min_score: keep detections scoring above this; ``None`` keeps the saving run's ``conf``.
    """
    check_min_score(min_score)
    check_retrackable(saved, tracker)
    started = time.monotonic()
    run_tracker = make_tracker(
        tracker, saved.fps, saved.vid_stride, camera_warps=saved.camera_warps
    )
    kept_above = saved.conf if min_score is None else min_score
    footer = replace(
        saved.footer,
        config_sha256=None,
        summary=None,
        tracker=tracker.to_dict(),
        retracked_from_conf=kept_above,
    )
    if tracker.uses_recovered_detections and not saved.has_recovered:
        log.warning(
            "%s's saved detections have no recovered second set (saved by an older "
            "tracklake): TrackTrack runs without it, so its tracks may differ from track's",
            saved.video_id,
        )
    detections = 0
    with TrackFileWriter(out_dir, saved.video_id, saved.class_names, footer) as writer:
        for frame, time_s, found in saved.frames_with_detections(kept_above):
            frame_detections = for_tracker(found, tracker)
            writer.append(frame, time_s, run_tracker.update(frame_detections))
            detections += len(frame_detections) - recovered_count(frame_detections)
        summary = replace(
            saved.footer.require("summary"),
            detections=detections,
            tracks=len(writer.track_ids),
            seconds=time.monotonic() - started,
        )
        writer.commit(replace(footer, summary=summary))
    return summary


def _retrack_object(
    store: ObjectStore,
    key: str,
    out_dir: str | Path,
    tracker: TrackerConfig,
    min_score: float | None,
) -> VideoSummary:
    """``retrack_video`` of the detections saved in the object ``key``; one that cannot be
    read is a failed video (named by its file, the cause its error), and the others go on."""
    try:
        saved = read_saved_detections(store, key)
    except DamagedDetectionsError as error:
        ref = VideoRef(PurePosixPath(key).stem, store.location(key))
        return VideoSummary.failed(ref, str(error))
    return retrack_video(saved, out_dir, tracker, min_score)


def retrack_run(
    source_out: str | Path,
    out_dir: str | Path,
    tracker: TrackerConfig,
    min_score: float | None = None,
) -> list[VideoSummary]:
    """Retrack every video of run ``source_out`` into ``out_dir``; see the module docstring.
    A saved detections file that cannot be read gives a failed video and the others go on.

    Raises:
        ValueError: ``source_out`` has no saved detections, or ``min_score`` is below the floor.
    """
    check_min_score(min_score)
    store = open_store(source_out)
    keys = saved_detection_keys(store)
    if not keys:
        raise ValueError(
            f"{store.location(layout.DETECTIONS)}: no saved detections; "
            "run tracklake track with --save-detections"
        )
    summaries = [_retrack_object(store, key, out_dir, tracker, min_score) for key in keys]
    write_videos_table(summaries, out_dir)
    write_track_summary(out_dir)
    write_run_json(
        out_dir,
        {"retracked_from": str(source_out), "tracker": tracker.to_dict(), "conf": min_score},
    )
    return summaries
