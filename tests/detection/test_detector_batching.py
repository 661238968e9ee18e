"""A frame's detections depend on neither the batch size nor the other frames in a call."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tracklake.detection import load_detector

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frames(tud_frames):
    return tud_frames["TUD-Stadtmitte"][:24]


@pytest.fixture(scope="module")
def batch_of_32(frames, yolov8n_config):
    detector = load_detector(replace(yolov8n_config, batch=32))
    assert detector.batch == 32
    return detector.detect(frames)


@pytest.mark.parametrize("batch", [1, 7])
def test_batch_sizes_agree(batch, frames, batch_of_32, yolov8n_config, matching_fraction):
    ours = load_detector(replace(yolov8n_config, batch=batch)).detect(frames)

    assert matching_fraction(ours, batch_of_32, tolerance=0.01) == 1.0
    for a, b in zip(ours, batch_of_32, strict=True):
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)


def test_frames_of_several_sizes_in_one_call(
    frames, tud_frames, yolov8n_detector, matching_fraction
):
    small = np.ascontiguousarray(tud_frames["TUD-Campus"][:6, ::2, ::2])  # 320x240
    mixed = [frame for pair in zip(frames[:6], small, strict=True) for frame in pair]

    together = yolov8n_detector.detect(mixed)
    apart = yolov8n_detector.detect(list(frames[:6])), yolov8n_detector.detect(list(small))

    assert matching_fraction(together[0::2], apart[0], tolerance=0.01) == 1.0
    assert matching_fraction(together[1::2], apart[1], tolerance=0.01) == 1.0
    assert sum(map(len, together[1::2])) > 0


def test_an_array_of_frames_works_like_a_list(frames, yolov8n_detector, matching_fraction):
    assert (
        matching_fraction(
            yolov8n_detector.detect(frames[:5]), yolov8n_detector.detect(list(frames[:5])), 0.0
        )
        == 1.0
    )


def test_no_frames_give_no_detections(yolov8n_detector):
    assert yolov8n_detector.detect([]) == []


@pytest.mark.parametrize(
    "frame",
    [np.zeros((48, 64), np.uint8), np.zeros((48, 64, 4), np.uint8), np.zeros((48, 64, 3))],
    ids=["gray", "rgba", "float"],
)
def test_frames_other_than_uint8_rgb_are_refused(frame, yolov8n_detector):
    with pytest.raises(ValueError, match=r"frame 1: expected a uint8 \(H, W, 3\)"):
        yolov8n_detector.detect([np.zeros((48, 64, 3), np.uint8), frame])
