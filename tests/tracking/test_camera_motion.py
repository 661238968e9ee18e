"""Camera-motion compensation finds a known camera shift, by each of its methods, on a
synthetic scene. On real moving-camera footage, against Ultralytics: test_panning_camera.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from tracklake.tracking import load_tracker_config, make_tracker
from tracklake.tracking.camera_motion import CameraMotion
from tracklake.types import Detections

SHIFT = (12, 6)  # the scene moves right and down by this many pixels between the frames


def textured_scene(height: int = 480, width: int = 640) -> np.ndarray:
    """A uint8 RGB image with corners and texture everywhere, like a street."""
    rng = np.random.default_rng(3)
    gray = gaussian_filter(rng.random((height + 40, width + 40)), 6.0)
    gray = (255 * (gray - gray.min()) / (gray.max() - gray.min())).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def two_frames() -> tuple[np.ndarray, np.ndarray]:
    scene = textured_scene()
    dx, dy = SHIFT
    first = scene[20:500, 20:660]
    second = scene[20 - dy : 500 - dy, 20 - dx : 660 - dx]
    return np.ascontiguousarray(first), np.ascontiguousarray(second)


@pytest.mark.parametrize("method", ["sparseOptFlow", "orb", "ecc"])
def test_each_method_finds_the_shift(method):
    first, second = two_frames()
    motion = CameraMotion(method)
    np.testing.assert_allclose(motion.estimate(first, np.empty((0, 4))), np.eye(2, 3))
    warp = motion.estimate(second, np.empty((0, 4)))
    np.testing.assert_allclose(warp[:, :2], np.eye(2), atol=0.02)
    np.testing.assert_allclose(warp[:, 2], SHIFT, atol=1.0)


def test_still_camera_gives_identity():
    first, _ = two_frames()
    motion = CameraMotion("sparseOptFlow")
    motion.estimate(first, np.empty((0, 4)))
    np.testing.assert_allclose(motion.estimate(first.copy(), np.empty((0, 4))), np.eye(2, 3),
                               atol=1e-3)  # fmt: skip


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack", "deepocsort"])
@pytest.mark.parametrize(("gmc_method", "expected_ids"), [("none", {1, 2}),
    ("sparseOptFlow", {1}), ("orb", {1}), ("ecc", {1})])  # fmt: skip
def test_a_still_object_keeps_its_id_through_a_camera_jump(tracker_type, gmc_method, expected_ids):
    """A still object; the camera jumps 30 px once. Without compensation the predicted box
    misses the detection (IoU 0.14) and the object gets a new id; with it, it keeps its id."""
    config = replace(load_tracker_config(tracker_type), gmc_method=gmc_method)
    tracker = make_tracker(config, fps=30)
    scene = textured_scene(880, 1040)
    ids = set()
    for step in range(16):
        dx = 0 if step < 10 else 30
        frame = np.ascontiguousarray(scene[200:680, 200 - dx : 840 - dx])
        x = 300.0 + dx
        tracks = tracker.update(Detections([[x, 200, x + 40, 300]], [0.9], [0]), frame)
        ids.update(tracks.track_ids.tolist())
    assert ids == expected_ids


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack"])
def test_default_compensates_camera_motion(tracker_type):
    config = load_tracker_config(tracker_type)
    assert config.gmc_method == "sparseOptFlow"  # Ultralytics' default
    assert make_tracker(config, fps=30).needs_frame


@pytest.mark.parametrize("method", ["sparseOptFlow", "orb", "ecc"])
def test_scaled_frames_give_the_warp_in_original_pixels(method):
    """Frames decoded at a third of their size (as for the model's input) give the same
    camera shift, in original pixels, as the full-size frames."""
    import cv2

    first, second = (cv2.resize(f, (640 // 3, 480 // 3), interpolation=cv2.INTER_AREA)
                     for f in two_frames())  # fmt: skip
    motion = CameraMotion(method, frame_size=(480, 640))
    motion.estimate(first, np.empty((0, 4)))
    warp = motion.estimate(second, np.empty((0, 4)))
    np.testing.assert_allclose(warp[:, :2], np.eye(2), atol=0.03)
    np.testing.assert_allclose(warp[:, 2], SHIFT, atol=1.5)


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack", "deepocsort"])
def test_camera_motion_without_the_frame_is_an_error(tracker_type):
    config = replace(load_tracker_config(tracker_type), gmc_method="sparseOptFlow")
    with pytest.raises(ValueError, match="needs each frame's image"):
        make_tracker(config, 30).update(Detections([[0, 0, 10, 20]], [0.9], [0]))
