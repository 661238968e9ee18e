"""Batched NMS keeps what Ultralytics' non_max_suppression keeps, image by image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision  # noqa: F401  makes Ultralytics use torchvision's NMS, as its predictor does
from ultralytics.utils.nms import non_max_suppression

from tracklake.detection.nms import NmsSettings, select

NUM_CLASSES = 5
EXTRA = 3


def random_candidates(batch: int, anchors: int, seed: int) -> torch.Tensor:
    """``(B, 4 + nc + extra, A)`` candidates: clustered boxes so that NMS has work to do."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.rand(batch, 2, anchors // 8, generator=generator).repeat(1, 1, 8) * 600
    centres += torch.randn(batch, 2, anchors, generator=generator) * 5
    sizes = 20 + torch.rand(batch, 2, anchors, generator=generator) * 150
    scores = torch.rand(batch, NUM_CLASSES, anchors, generator=generator) ** 3
    extra = torch.randn(batch, EXTRA, anchors, generator=generator)
    return torch.cat((centres, sizes, scores, extra), dim=1)


@pytest.mark.parametrize(
    "settings",
    [
        NmsSettings(conf=0.25, iou=0.7, classes=None, max_det=300, agnostic=False),
        NmsSettings(conf=0.1, iou=0.45, classes=(1, 3), max_det=300, agnostic=False),
        NmsSettings(conf=0.05, iou=0.5, classes=None, max_det=7, agnostic=True),
        NmsSettings(conf=0.99, iou=0.7, classes=None, max_det=300, agnostic=False),
    ],
    ids=["defaults", "classes", "agnostic-max-det", "nothing-passes"],
)
def test_same_rows_as_ultralytics(settings):
    candidates = random_candidates(batch=4, anchors=800, seed=0)

    ours = select(candidates, NUM_CLASSES, settings, end2end=False)
    theirs = non_max_suppression(
        candidates.clone(),
        settings.conf,
        settings.iou,
        list(settings.classes) if settings.classes else None,
        settings.agnostic,
        max_det=settings.max_det,
        nc=NUM_CLASSES,
    )

    assert len(ours) == 4
    assert sum(map(len, ours)) == sum(map(len, theirs))
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-4)
    if settings.conf < 0.9:
        assert all(len(rows) for rows in ours)


def test_final_detections_are_filtered_not_suppressed():
    generator = torch.Generator().manual_seed(2)
    final = torch.cat(
        (
            torch.rand(3, 50, 4, generator=generator) * 600,
            torch.rand(3, 50, 1, generator=generator).sort(1, descending=True).values,
            torch.randint(0, NUM_CLASSES, (3, 50, 1), generator=generator).float(),
            torch.randn(3, 50, EXTRA, generator=generator),
        ),
        dim=2,
    )
    settings = NmsSettings(conf=0.3, iou=0.7, classes=(0, 2), max_det=10, agnostic=False)

    ours = select(final, NUM_CLASSES, settings, end2end=True)
    theirs = non_max_suppression(final, 0.3, 0.7, [0, 2], max_det=10, end2end=True)

    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)
    assert {tuple(rows[:, 5].unique().tolist()) for rows in ours} <= {(0.0,), (2.0,), (0.0, 2.0)}
