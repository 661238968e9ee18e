"""Letterboxing agrees with Ultralytics' LetterBox and scale_boxes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ultralytics.data.augment import LetterBox
from ultralytics.utils.ops import scale_boxes, scale_coords

from tracklake.detection.letterbox import Letterbox

SHAPES = [(480, 640), (1080, 1920), (333, 517), (640, 480), (1, 900)]


@pytest.mark.parametrize("frame_size", SHAPES)
@pytest.mark.parametrize("imgsz", [320, 640])
@pytest.mark.parametrize("rect", [True, False])
def test_input_matches_ultralytics_letterbox(frame_size, imgsz, rect):
    frame = np.random.default_rng(0).integers(0, 256, (*frame_size, 3), dtype=np.uint8)
    letterbox = Letterbox.fit(frame_size, (imgsz, imgsz), stride=32, rect=rect)

    ours = letterbox.apply(frame[None], torch.device("cpu"), torch.float32)[0]
    theirs = LetterBox(imgsz, auto=rect, stride=32)(image=frame)

    assert ours.shape == (3, *theirs.shape[:2]) == (3, *letterbox.input_size)
    # cv2's fixed-point bilinear weights differ from exact ones by at most one grey level.
    difference = np.abs(ours.permute(1, 2, 0).numpy() * 255 - theirs)
    assert difference.max() <= 1.0 + 1e-3
    assert (difference > 0.5).mean() < 0.2


def test_unchanged_size_needs_no_resize_or_padding():
    letterbox = Letterbox.fit((480, 640), (640, 640), stride=32, rect=True)
    frame = np.arange(480 * 640 * 3, dtype=np.uint8).reshape(1, 480, 640, 3)

    image = letterbox.apply(frame, torch.device("cpu"), torch.float16)

    assert (letterbox.input_size, letterbox.top, letterbox.left) == ((480, 640), 0, 0)
    assert image.dtype == torch.float16
    expected = torch.from_numpy(frame).permute(0, 3, 1, 2).half() / 255  # Ultralytics' cast
    assert torch.equal(image, expected)


@pytest.mark.parametrize("frame_size", SHAPES)
def test_boxes_and_points_map_back_as_ultralytics_scales_them(frame_size):
    letterbox = Letterbox.fit(frame_size, (640, 640), stride=32, rect=True)
    generator = torch.Generator().manual_seed(1)
    height, width = letterbox.input_size
    corners = torch.rand(50, 2, 2, generator=generator) * torch.tensor([width, height]) * 1.2
    boxes = torch.cat((corners.amin(1), corners.amax(1)), dim=1) - 10
    points = torch.rand(50, 17, 3, generator=generator) * torch.tensor([width, height, 1.0])

    np.testing.assert_allclose(
        letterbox.boxes_to_frame(boxes.clone()),
        scale_boxes(letterbox.input_size, boxes.clone(), frame_size),
        rtol=1e-6,
        atol=1e-4,
    )
    np.testing.assert_allclose(
        letterbox.points_to_frame(points.clone()),
        scale_coords(letterbox.input_size, points.clone(), frame_size),
        rtol=1e-6,
        atol=1e-4,
    )
