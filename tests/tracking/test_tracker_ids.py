"""Every tracker owns its state and its IDs: nothing else in the process changes them."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from tracking_harness import mot17_detections, run_ours

from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.tracking.config import TRACKER_TYPES
from tracklake.types import Detections, Tracks


def assert_identical(a: list[Tracks], b: list[Tracks]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.track_ids, y.track_ids)
        np.testing.assert_array_equal(x.detection_index, y.detection_index)
        np.testing.assert_array_equal(x.boxes, y.boxes)


# Frames of each video: enough for tracks to start, be lost and end (30 frames of buffer),
# few enough for `make check`.
INTERLEAVED_FRAMES = 150


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_interleaved_videos_track_as_each_alone(mot17_dir, tracker_type):
    """Two trackers in one process, updated in turn (a worker tracking two videos at once),
    give each video the tracks it gets alone."""
    config = TrackerConfig.of(tracker_type, gmc_method="none")
    first = mot17_detections(mot17_dir / "MOT17-09")[:INTERLEAVED_FRAMES]
    second = mot17_detections(mot17_dir / "MOT17-02")[:INTERLEAVED_FRAMES]
    alone_first, alone_second = run_ours(config, first), run_ours(config, second)
    a, b = make_tracker(config, 30), make_tracker(config, 30)
    together = [(a.update(x), b.update(y)) for x, y in zip(first, second, strict=True)]
    assert_identical([t for t, _ in together], alone_first)
    assert_identical([t for _, t in together], alone_second)
    assert_identical(run_ours(config, first), alone_first)  # and again, the same
    for tracks in (alone_first, alone_second):
        ids = np.unique(np.concatenate([t.track_ids for t in tracks]))
        np.testing.assert_array_equal(ids, np.arange(1, len(ids) + 1))  # from 1, no gaps
        last_seen = {int(i): frame for frame, t in enumerate(tracks) for i in t.track_ids}
        assert min(last_seen.values()) < INTERLEAVED_FRAMES - 1 - 30  # one outlived its buffer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tracker_type", "frames"),
    [("bytetrack", 100_000)] + [(name, 20_000) for name in TRACKER_TYPES if name != "bytetrack"],
)
def test_memory_stays_flat_over_a_long_video(tracker_type, frames):
    """People cross the frame one after another; lost tracks expire, and the last 10,000
    frames leave nothing behind. (All trackers share the row deletion; ByteTrack runs the
    full 100,000 frames, the others fewer to keep the suite fast.)"""
    t = make_tracker(TrackerConfig.of(tracker_type, gmc_method="none"), 30)
    walk = 40  # frames one person takes to cross
    x = 20.0 * (np.arange(frames) % walk)
    boxes = np.column_stack([x, np.full(frames, 100), x + 40, np.full(frames, 200)])
    most_tracks = 0
    for frame in range(frames):
        if frame == frames - 10_000:
            tracemalloc.start()
        tracks = t.update(Detections(boxes[frame : frame + 1], np.array([0.9]), np.array([0])))
        most_tracks = max(most_tracks, len(t))
    left_behind = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert tracks.track_ids[0] == frames // walk  # each crossing is a new person
    assert most_tracks <= 3
    assert left_behind < 50_000


def test_importing_the_trackers_imports_neither_torch_nor_ray():
    code = (
        "import sys, tracklake.tracking, tracklake.tracking.camera_motion;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'ray', 'ultralytics')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
