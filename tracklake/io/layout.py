"""Where everything a run writes lives in its ``OUT``: each object named here once, by its
key relative to ``OUT`` (``/``-separated, as in a folder or under an object store's prefix).

::

    tracks/<video>.parquet                      every video tracked (its footer: the summary)
    detections/<video>.parquet                  with --save-detections
    detections/camera_motion/<video>.parquet    ... when the tracker compensates camera motion
    videos.parquet, track_summary.parquet, run.json     the run's own objects, written last
    eval.parquet                                written by ``eval``

An object is written under a temporary key, a dot-prefixed sibling ending in ``.tmp`` that no
reader's listing matches, and committed to its own key when complete.
"""

from __future__ import annotations

import uuid

from tracklake.io.video_ids import safe_file_stem

TRACKS = "tracks"
DETECTIONS = "detections"
CAMERA_MOTION = f"{DETECTIONS}/camera_motion"
VIDEOS = "videos.parquet"
TRACK_SUMMARY = "track_summary.parquet"
RUN = "run.json"
EVAL = "eval.parquet"

# The folders of one object per video, and the objects of the run as a whole: what
# ``--overwrite`` removes (``eval.parquet`` is eval's, not the run's).
PER_VIDEO_FOLDERS = (TRACKS, DETECTIONS, CAMERA_MOTION)
RUN_OBJECTS = (VIDEOS, TRACK_SUMMARY, RUN)

VIDEO_OBJECT_PATTERN = "*.parquet"  # a glob of the per-video objects in one of those folders
TEMPORARY_PATTERN = ".*.tmp"  # a glob of the temporary keys in a folder


def video_key(folder: str, video_id: str) -> str:
    """The key of ``video_id``'s object in ``folder``, one of ``PER_VIDEO_FOLDERS``; always
    directly inside it, whatever the id holds."""
    return f"{folder}/{safe_file_stem(video_id)}.parquet"


def camera_motion_key(detections_key: str) -> str:
    """The key of the camera motion saved beside the detections object ``detections_key``."""
    return f"{CAMERA_MOTION}/{detections_key.rsplit('/', 1)[-1]}"


def temporary_name(name: str) -> str:
    """A name, unique to this call, to write the object ``name`` under until it is complete."""
    return f".{name}.{uuid.uuid4().hex}.tmp"
