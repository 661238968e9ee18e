"""Camera-motion compensation on real moving-camera footage: a 1280x720 window panning over
the shared 1080p street clip, with one 64 px jump (panning.py), and YOLOv8n's person
detections of it. Numbers: bench/panning_gmc.py, BENCHMARKS.md ("Camera motion on a panning
camera")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from panning import (
    CLIP,
    MODEL_SCALES,
    PanningSequence,
    centre_shifts,
    detect_people,
    id_switches,
    our_warps,
    panning_sequence,
    track_count,
    track_ours,
    track_ultralytics,
    ultralytics_warps,
)
from tracking_harness import assert_same_tracks

from tracklake.tracking import TrackerConfig
from tracklake.types import Detections

pytestmark = pytest.mark.slow  # YOLOv8n on 60 frames (cached), ECC on 1280x720 frames

# How far the warps may move the window's centre from the known pan (8.9 px a frame, one
# 64.1 px step), in original pixels: a median of 1.25 px over the frames and at most, in any
# frame, the method's bound (the clip's own camera drifts a few tenths of a pixel a frame).
# Measured, on the full-size window: median 0.96, 0.31, 0.24 px and at most 2.88, 0.62,
# 0.44 px; decoded for imgsz 320: median 0.60, 0.96, 0.39 and at most 1.38, 1.61, 0.68 px.
# Sparse optical flow takes the 400 strongest corners wherever they are, people included.
MEDIAN_PAN_ERROR = 1.25
MAX_PAN_ERROR = {"sparseOptFlow": 3.5, "orb": 2.0, "ecc": 1.0}
# The median distance between the warps of the window decoded for YOLO and of the full-size
# window (measured: at most 0.06 px at imgsz 640, 0.57 px at imgsz 320).
MEDIAN_APART = {640: 0.1, 320: 0.75}


@pytest.fixture(scope="module")
def sequence(shared_videos: Path) -> PanningSequence:
    return panning_sequence(shared_videos / CLIP)


@pytest.fixture(scope="module")
def detections(
    request: pytest.FixtureRequest, sequence: PanningSequence, yolov8n_weights: Path
) -> list[Detections]:
    cache = request.config.cache.mkdir("tracklake-panning-detections")
    return detect_people(sequence, yolov8n_weights, cache)


@pytest.fixture(scope="module", params=list(MAX_PAN_ERROR))
def warps(
    request: pytest.FixtureRequest, sequence: PanningSequence, detections: list[Detections]
) -> dict[str, np.ndarray]:
    """One method's warps, ours and Ultralytics', from the original frames."""
    method = request.param
    return {
        "method": method,
        "ours": our_warps(method, sequence.frames, detections),
        "ultralytics": ultralytics_warps(method, sequence.frames, detections),
    }


def test_warps_are_ultralytics_gmc_fed_the_same_frames(warps):
    """Same frames (RGB for us, BGR for Ultralytics), same detections: the same warps, to
    the last bit."""
    np.testing.assert_array_equal(warps["ours"], warps["ultralytics"])


def assert_recovers_the_pan(warps: np.ndarray, sequence: PanningSequence, method: str) -> None:
    error = np.linalg.norm(centre_shifts(warps[1:]) - sequence.pans(), axis=1)
    assert np.median(error) < MEDIAN_PAN_ERROR
    assert error.max() < MAX_PAN_ERROR[method], np.argmax(error) + 1
    np.testing.assert_allclose(warps[:, :, :2], np.broadcast_to(np.eye(2), warps[:, :, :2].shape),
                               atol=0.01)  # fmt: skip


def test_warps_recover_the_known_pan(warps, sequence):
    assert_recovers_the_pan(warps["ours"], sequence, warps["method"])


@pytest.mark.parametrize("imgsz", list(MODEL_SCALES))
def test_frames_decoded_at_the_models_size_give_the_warps_in_original_pixels(
    imgsz, warps, sequence, detections
):
    """The window decoded for YOLO (640x360 at imgsz 640, 320x180 at imgsz 320, as the
    pipeline decodes it) gives the warps of the 1280x720 window, in its pixels."""
    decoded = our_warps(warps["method"], sequence.decoded[imgsz], detections, scaled=True)
    apart = np.linalg.norm(centre_shifts(decoded) - centre_shifts(warps["ours"]), axis=1)
    assert np.median(apart) < MEDIAN_APART[imgsz]
    np.testing.assert_allclose(decoded[:, :, :2], warps["ours"][:, :, :2], atol=0.01)
    assert_recovers_the_pan(decoded, sequence, warps["method"])


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack", "deepocsort"])
@pytest.mark.parametrize("gmc_method", ["sparseOptFlow", "orb"])
def test_trackers_with_camera_motion_give_ultralytics_tracks(
    tracker_type, gmc_method, sequence, detections
):
    """Ultralytics' tracker with its GMC, fed the same frames and detections, gives our
    tracks, with no ID switch at the camera's jump."""
    config = TrackerConfig.of(tracker_type, gmc_method=gmc_method)
    ours = track_ours(config, sequence, detections)
    assert_same_tracks(ours, track_ultralytics(config, sequence, detections))
    assert id_switches(ours, sequence.offsets) == 0


@pytest.mark.parametrize("tracker_type", ["botsort", "tracktrack", "deepocsort"])
def test_camera_motion_keeps_identities_on_a_panning_camera(tracker_type, sequence, detections):
    """Without compensation the jump hands people on to new IDs or moves IDs onto other
    people (2 or 3 ID switches, measured); with it, estimated from the frames decoded at the
    model's size as in the pipeline, none, and fewer IDs."""
    config = TrackerConfig.of(tracker_type, gmc_method="sparseOptFlow")
    compensated = track_ours(config, sequence, detections, imgsz=640)
    blind = track_ours(TrackerConfig.of(tracker_type, gmc_method="none"), sequence, detections)
    assert id_switches(compensated, sequence.offsets) == 0
    assert id_switches(blind, sequence.offsets) >= 2
    assert track_count(blind) > track_count(compensated)
