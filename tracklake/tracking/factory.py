"""Build the tracker a configuration names, for one video."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from tracklake.tracking.botsort import BoTSORT
from tracklake.tracking.bytetrack import ByteTrack
from tracklake.tracking.camera_motion import CameraMotion, CameraMotionSource, SavedCameraMotion
from tracklake.tracking.config import TrackerConfig
from tracklake.tracking.deepocsort import DeepOCSort
from tracklake.tracking.fasttrack import FastTrack
from tracklake.tracking.ocsort import OCSort
from tracklake.tracking.tracktrack import TrackTrack
from tracklake.types import Detections, Tracks


class Tracker(Protocol):
    """One video's tracker: feed it every frame in order."""

    @property
    def needs_frame(self) -> bool:
        """Whether ``update`` needs the image (camera motion estimated from the frames)."""
        ...

    @property
    def camera_warp(self) -> np.ndarray | None:
        """``(2, 3)`` float64, the camera's motion the last ``update`` compensated; None when
        the tracker does not compensate camera motion."""
        ...

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Tracks:
        """Track one frame (``frame``: ``(H, W, 3)`` uint8 RGB, when ``needs_frame``)."""
        ...


def make_tracker(
    config: TrackerConfig,
    fps: float,
    vid_stride: int = 1,
    frame_size: tuple[int, int] | None = None,
    camera_warps: np.ndarray | None = None,
) -> Tracker:
    """A new tracker for one video of frame rate ``fps``, of which every ``vid_stride``-th
    frame is tracked; ``track_buffer`` is scaled to that video (see ``TrackerConfig``).

    ``frame_size`` is the ``(H, W)`` of the video's original frames when ``update`` gets
    them scaled down (boxes stay in original pixels); ``None`` when it gets them as they are.
    ``camera_warps``, ``(F, 2, 3)`` float64, are the camera's motion a run saved for each of
    the ``F`` frames: a tracker that compensates camera motion replays them instead of
    estimating them from the frames (which it then does not need).
    """
    max_lost_frames = config.buffer_frames(fps, vid_stride)
    if config.tracker_type == "bytetrack":
        return ByteTrack(config, max_lost_frames)
    if config.tracker_type == "ocsort":
        return OCSort(config, max_lost_frames)
    if config.tracker_type == "fasttrack":
        return FastTrack(config, max_lost_frames)
    camera_motion = _camera_motion(config, frame_size, camera_warps)
    if config.tracker_type == "tracktrack":
        return TrackTrack(config, max_lost_frames, camera_motion)
    if config.tracker_type == "deepocsort":
        return DeepOCSort(config, max_lost_frames, camera_motion)
    return BoTSORT(config, max_lost_frames, camera_motion)


def _camera_motion(
    config: TrackerConfig, frame_size: tuple[int, int] | None, camera_warps: np.ndarray | None
) -> CameraMotionSource | None:
    """Where a compensating tracker gets the camera's motion; None with ``gmc_method: none``."""
    if not config.compensates_camera_motion:
        return None
    if camera_warps is not None:
        return SavedCameraMotion(camera_warps)
    return CameraMotion(config.gmc_method, frame_size)
