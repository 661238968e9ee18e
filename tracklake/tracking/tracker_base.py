"""What every tracker has besides its algorithm: its settings, its ``TrackBook``, where it gets
the camera's motion, and the public face around ``update`` (``needs_frame``, ``camera_warp``,
``max_lost_frames``, ``len``).

``TrackerBase`` is not a tracker: it has no ``update`` and no hooks. Each tracker
(``bytetrack.py`` and its siblings) subclasses it and writes its own ``update``.
"""

from __future__ import annotations

from typing import Generic

import numpy as np

from tracklake.tracking.camera_motion import CameraMotionSource
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.lifecycle import Table, TrackBook


class TrackerBase(Generic[Table]):
    """A tracker of one video; feed its ``update`` every frame in order.

    Args:
        config: the settings (``tracker_type`` is not checked here; see ``make_tracker``).
            With ``with_reid`` (BoT-SORT, Deep OC-SORT, TrackTrack), every non-empty frame's
            detections must carry ``extras["embeddings"]`` ``(N, D)`` float32.
        book: the tracker's ``TrackBook``; the tracker sets its (empty) table.
        camera_motion: gives the camera's motion between frames (estimated from them, or
            saved by a run), or None (no compensation; ``make_tracker`` gives one only to the
            trackers that compensate, with a ``gmc_method`` other than ``none``).

    Attributes:
        config: the settings.
        camera_warp: ``(2, 3)`` float64, the warp by which the last ``update`` moved the
            tracks for the camera's motion; None when not compensating.
    """

    def __init__(
        self,
        config: TrackerConfig,
        book: TrackBook[Table],
        camera_motion: CameraMotionSource | None = None,
    ) -> None:
        self.config = config
        self.camera_warp: np.ndarray | None = None
        self._book = book
        self._camera_motion = camera_motion

    @property
    def needs_frame(self) -> bool:
        """Whether ``update`` needs the image (camera motion estimated from the frames)."""
        return self._camera_motion is not None and self._camera_motion.needs_frame

    @property
    def max_lost_frames(self) -> int:
        """``track_buffer`` in this video's frames (see ``TrackBook``)."""
        return self._book.max_lost_frames

    def __len__(self) -> int:
        """Tracks held: tracked, unconfirmed and lost."""
        return len(self._book)

    def _follow_camera(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray | None:
        """Estimate the camera's motion since the last frame (``frame``: ``(H, W, 3)`` uint8
        RGB, when ``needs_frame``; ``boxes``: ``(N, 4)`` its high-score detection boxes) and
        keep it as ``camera_warp``; None when not compensating."""
        if self._camera_motion is not None:
            self.camera_warp = self._camera_motion.estimate(frame, boxes)
        return self.camera_warp
