"""Multi-object trackers (ByteTrack, BoT-SORT, OC-SORT, Deep OC-SORT, FastTrack, TrackTrack):
numpy and scipy only.

Build one per video with ``make_tracker(load_tracker_config("bytetrack"), fps)`` and feed it
each frame's ``Detections`` in order; it returns that frame's ``Tracks``.
"""

from tracklake.tracking.config import TrackerConfig, load_tracker_config
from tracklake.tracking.factory import Tracker, make_tracker

__all__ = ["Tracker", "TrackerConfig", "load_tracker_config", "make_tracker"]
