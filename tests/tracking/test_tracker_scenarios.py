"""Scenarios in the style of norfair's, for every tracker: what a tracker must get right."""

from __future__ import annotations

import numpy as np
import pytest

from tracklake.tracking import TrackerConfig, make_tracker
from tracklake.tracking.config import TRACKER_TYPES
from tracklake.types import Detections

FPS = 10.0  # track_buffer 30 at 30 fps is 1 s: 10 frames here


def config_of(tracker_type: str, **settings) -> TrackerConfig:
    return TrackerConfig.of(tracker_type, gmc_method="none", **settings)


def tracker(tracker_type: str, **settings):
    return make_tracker(config_of(tracker_type, **settings), FPS)


def matches_to_show(tracker_type: str) -> int:
    """After a video's first frame, a new track is reported from this match on."""
    return config_of(tracker_type).min_track_len if tracker_type == "tracktrack" else 2


def boxes_at(*xs: float, y: float = 100.0, score: float = 0.9) -> Detections:
    """50x100 boxes with left edges at ``xs``."""
    boxes = [[x, y, x + 50, y + 100] for x in xs]
    return Detections(np.array(boxes).reshape(-1, 4), np.full(len(xs), score), np.zeros(len(xs)))


def ids_of(tracks) -> list[int]:
    return tracks.track_ids.tolist()


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_static_object_keeps_one_id(tracker_type):
    t = tracker(tracker_type)
    for _ in range(50):
        tracks = t.update(boxes_at(100))
        assert ids_of(tracks) == [1]
        np.testing.assert_allclose(tracks.boxes[0], [100, 100, 150, 200], atol=1e-3)


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_object_at_constant_speed_is_followed_and_predicted(tracker_type):
    t = tracker(tracker_type)
    for frame in range(60):
        assert ids_of(t.update(boxes_at(10 + 8 * frame))) == [1]
    # the filter has learnt the speed: its box is on the detection, not lagging behind
    np.testing.assert_allclose(t.update(boxes_at(10 + 8 * 60)).boxes[0, 0], 490, atol=1.0)


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
@pytest.mark.parametrize(("gap", "same_id"), [(5, True), (10, True), (11, True), (12, False)])
def test_gap_within_the_buffer_keeps_the_id(tracker_type, gap, same_id):
    """The buffer is 1 s = 10 frames at 10 fps; like Ultralytics, a track is still found
    after one frame more (see TrackBook.retire)."""
    t = tracker(tracker_type)
    for _ in range(20):
        t.update(boxes_at(100))
    for _ in range(gap):
        assert len(t.update(Detections.empty())) == 0
    tracks = t.update(boxes_at(100))
    if not same_id:  # a new track shows from its 2nd match (TrackTrack: min_track_len)
        for _ in range(matches_to_show(tracker_type) - 1):
            tracks = t.update(boxes_at(100))
    assert ids_of(tracks) == ([1] if same_id else [2])


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_buffer_scales_with_frame_rate_and_stride(tracker_type):
    config = config_of(tracker_type)
    assert make_tracker(config, 30).max_lost_frames == 30
    assert make_tracker(config, 10).max_lost_frames == 10
    assert make_tracker(config, 60, vid_stride=4).max_lost_frames == 15


@pytest.mark.parametrize("tracker_type", ["bytetrack", "botsort"])
def test_low_score_detection_continues_a_track_but_never_starts_one(tracker_type):
    t = tracker(tracker_type)
    for _ in range(10):
        assert len(t.update(boxes_at(300, score=0.2))) == 0
    t.update(boxes_at(100))
    t.update(boxes_at(100))
    for _ in range(10):
        tracks = t.update(boxes_at(100, score=0.2))
        assert ids_of(tracks) == [1]
        assert tracks.scores.tolist() == [pytest.approx(0.2)]


def test_ocsort_ignores_low_score_detections_unless_use_byte():
    for use_byte, expected in [(False, []), (True, [1])]:
        t = tracker("ocsort", use_byte=use_byte)
        t.update(boxes_at(100))
        t.update(boxes_at(100))
        assert ids_of(t.update(boxes_at(100, score=0.2))) == expected


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_crossing_objects_keep_their_ids(tracker_type):
    """Two people walk past each other, one a little lower in the frame."""
    t = tracker(tracker_type)
    left_to_right = {}
    for frame in range(40):
        a, b = 20 + 10 * frame, 420 - 10 * frame
        both = Detections(
            np.array([[a, 100, a + 50, 200], [b, 130, b + 50, 230]]), [0.9, 0.9], [0, 0]
        )
        tracks = t.update(both)
        if frame == 0:
            continue
        for index, track_id in zip(tracks.detection_index, tracks.track_ids, strict=True):
            assert left_to_right.setdefault(int(index), int(track_id)) == track_id, frame
    assert sorted(left_to_right.values()) == [1, 2]


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_output_points_at_its_detections_and_input_is_untouched(tracker_type):
    rng = np.random.default_rng(0)
    t = tracker(tracker_type)
    for frame in range(20):
        xs = [100 + frame, 400, 700 - frame]
        detections = boxes_at(*xs)
        order = rng.permutation(3)
        extras = {"keypoints": rng.random((3, 17, 3)).astype(np.float32)}
        detections = Detections(detections.boxes[order], detections.scores, [1, 2, 3], extras)
        before = {name: value.copy() for name, value in extras.items()}
        tracks = t.update(detections)
        np.testing.assert_array_equal(detections.extras["keypoints"], before["keypoints"])
        np.testing.assert_array_equal(
            tracks.class_ids, detections.class_ids[tracks.detection_index]
        )
        np.testing.assert_allclose(tracks.boxes, detections.boxes[tracks.detection_index], atol=3)


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_degenerate_and_empty_frames(tracker_type):
    t = tracker(tracker_type)
    assert len(t.update(Detections.empty())) == 0
    flat = Detections(np.array([[10, 10, 10, 50], [0, 0, 40, 0]]), [0.9, 0.9], [0, 0])
    assert len(t.update(flat)) == 0
    for _ in range(matches_to_show(tracker_type) - 1):  # after frame 1, tracks show later
        assert len(t.update(boxes_at(100))) == 0
    assert ids_of(t.update(boxes_at(100))) == [1]


@pytest.mark.parametrize(("tracker_type", "same_id"), [("fasttrack", True), ("bytetrack", False)])
def test_person_hidden_behind_another_past_the_buffer_keeps_its_id(tracker_type, same_id):
    """A stands behind B (B's box covers A's) and is not detected for 15 frames, longer
    than the 10-frame buffer: FastTrack holds an occluded track beyond the buffer."""
    t = tracker(tracker_type)
    front = [80, 80, 180, 240]
    behind = Detections(np.array([[100, 100, 150, 200], front]), [0.9, 0.9], [0, 0])
    hidden = Detections(np.array([front]), [0.9], [0])
    for _ in range(20):
        before = t.update(behind)
    id_behind = int(before.track_ids[before.detection_index == 0][0])
    for _ in range(15):
        t.update(hidden)
    tracks = t.update(behind)
    tracks = t.update(behind)  # a new track would show from its 2nd match
    again = int(tracks.track_ids[tracks.detection_index == 0][0])
    assert (again == id_behind) == same_id


@pytest.mark.parametrize(
    ("tracker_type", "ids"), [("fasttrack", [1]), ("tracktrack", [1]), ("bytetrack", [1, 2])]
)
def test_a_duplicate_detection_of_a_tracked_person_starts_no_track(tracker_type, ids):
    """From the 5th frame on, the detector also reports a second box on the same person
    (IoU 0.89 with the first): FastTrack and TrackTrack suppress it, ByteTrack tracks it."""
    t = tracker(tracker_type)
    for _ in range(5):
        t.update(boxes_at(100))
    for _ in range(5):
        tracks = t.update(boxes_at(100, 103))
    assert ids_of(tracks) == ids
