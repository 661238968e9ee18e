"""TrackTrack's second detection set among a frame's detections (``extras["recovered"]``, made
by ``detection.recovery``): fed only to a tracker that uses it, never counted as detected."""

from __future__ import annotations

import numpy as np

from tracklake.tracking.config import TrackerConfig
from tracklake.types import RECOVERED, Detections


def for_tracker(detections: Detections, tracker: TrackerConfig) -> Detections:
    """``detections`` as ``tracker`` is fed them: without the recovered rows unless it uses
    them (``TrackerConfig.uses_recovered_detections``)."""
    if RECOVERED not in detections.extras or tracker.uses_recovered_detections:
        return detections
    return detections[~detections.extras[RECOVERED]]


def recovered_count(detections: Detections) -> int:
    """How many of ``detections`` are recovered rows."""
    return int(np.count_nonzero(detections.extras.get(RECOVERED, ())))
