"""A tracker replaying saved camera-motion warps compensates by them without the frames (that
it replays a run's warps into the run's tracks: tests/jobs/test_saved_tracker_inputs.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tracklake.tracking import load_tracker_config, make_tracker
from tracklake.tracking.camera_motion import SavedCameraMotion
from tracklake.types import Detections


def camera_jump(steps: int = 12, jump_at: int = 8):
    """A still object; the camera jumps 30 px once (the object's box IoU across the jump is
    0.14): each frame's ``Detections`` and the camera's warp to it."""
    for step in range(steps):
        x = 300.0 - (30 if step >= jump_at else 0)
        warp = np.eye(2, 3)
        if step == jump_at:
            warp[0, 2] = -30.0
        yield Detections([[x, 200, x + 40, 300]], [0.9], [0]), warp


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack", "deepocsort"])
def test_replayed_warps_keep_an_id_that_the_camera_motion_would_break(tracker_type):
    config = replace(load_tracker_config(tracker_type), gmc_method="sparseOptFlow")
    detections, warps = zip(*camera_jump(), strict=True)
    replay = make_tracker(config, 30, camera_warps=np.stack(warps))
    assert not replay.needs_frame
    replayed = [replay.update(d) for d in detections]
    assert [t.track_ids.tolist() for t in replayed] == [[1]] * 12  # one id throughout
    np.testing.assert_array_equal(replay.camera_warp, warps[-1])
    blind = make_tracker(replace(config, gmc_method="none"), 30)
    assert len({int(i) for d in detections for i in blind.update(d).track_ids}) > 1
    assert blind.camera_warp is None


def test_more_frames_than_saved_warps_is_an_error():
    motion = SavedCameraMotion(np.stack([np.eye(2, 3)] * 2))
    motion.estimate(None, np.empty((0, 4)))
    motion.estimate(None, np.empty((0, 4)))
    with pytest.raises(ValueError, match="more frames than saved camera-motion warps"):
        motion.estimate(None, np.empty((0, 4)))
