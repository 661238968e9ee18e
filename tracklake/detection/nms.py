"""From raw network output to the kept detections of each image, on the device.

Same decisions as Ultralytics' ``non_max_suppression`` in predict mode: each anchor keeps its
best class, candidates need a score above ``conf`` (and a class in ``classes``), then greedy
NMS per class (or across classes) and at most ``max_det`` per image, best first.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision


@dataclass(frozen=True)
class NmsSettings:
    """The thresholds of one detector; see ``DetectorConfig`` for their meaning."""

    conf: float
    iou: float
    classes: tuple[int, ...] | None
    max_det: int
    agnostic: bool


def select(
    predictions: torch.Tensor, num_classes: int, settings: NmsSettings, end2end: bool
) -> list[torch.Tensor]:
    """Pick the detections of every image in a batch.

    Args:
        predictions: ``(B, 4 + nc + extra, A)`` candidates (``cx, cy, w, h``, class scores,
            extra columns), or ``(B, M, 6 + extra)`` final detections when ``end2end``.
        num_classes: ``nc``; the columns after the class scores are carried through.

    Returns:
        per image, a ``(n, 6 + extra)`` float32 tensor of ``x1, y1, x2, y2, score, class,
        extra...`` in input pixels, best score first.
    """
    if end2end:
        return _select_final(predictions, settings)
    return _suppress(predictions, num_classes, settings)


def _class_filter(labels: torch.Tensor, classes: tuple[int, ...] | None) -> torch.Tensor | bool:
    if classes is None:
        return True
    return torch.isin(labels, torch.tensor(classes, device=labels.device))


def _select_final(predictions: torch.Tensor, settings: NmsSettings) -> list[torch.Tensor]:
    keep = (predictions[..., 4] > settings.conf) & _class_filter(
        predictions[..., 5].long(), settings.classes
    )
    return [
        rows[mask][: settings.max_det].float() for rows, mask in zip(predictions, keep, strict=True)
    ]


def _suppress(
    predictions: torch.Tensor, num_classes: int, settings: NmsSettings
) -> list[torch.Tensor]:
    batch = predictions.shape[0]
    candidates = predictions.transpose(1, 2)  # (B, A, 4 + nc + extra)
    scores, labels = candidates[..., 4 : 4 + num_classes].max(-1)
    keep = (scores > settings.conf) & _class_filter(labels, settings.classes)
    image, anchor = keep.nonzero(as_tuple=True)
    rows = candidates[image, anchor].float()
    scores, labels = scores[image, anchor].float(), labels[image, anchor]
    boxes = _xywh_to_xyxy(rows[:, :4])

    kept = torchvision.ops.nms(
        _separate_groups(boxes, image, None if settings.agnostic else labels),
        scores,
        settings.iou,
    )  # best score first
    kept = kept[torch.argsort(image[kept], stable=True)]  # by image, best first within each
    counts = torch.bincount(image[kept], minlength=batch)
    rank = torch.arange(len(kept), device=kept.device) - (counts.cumsum(0) - counts)[image[kept]]
    kept = kept[rank < settings.max_det]

    detections = torch.cat(
        (boxes, scores[:, None], labels[:, None].float(), rows[:, 4 + num_classes :]), dim=1
    )[kept]
    return list(detections.split(counts.clamp(max=settings.max_det).tolist()))


def _xywh_to_xyxy(xywh: torch.Tensor) -> torch.Tensor:
    half = xywh[:, 2:] / 2
    return torch.cat((xywh[:, :2] - half, xywh[:, :2] + half), dim=1)


def _separate_groups(
    boxes: torch.Tensor, image: torch.Tensor, labels: torch.Tensor | None
) -> torch.Tensor:
    """Shift boxes so that boxes of different images (and classes) never overlap.

    One NMS call then handles the whole batch. Images shift along y and classes along x, so
    the offsets, and the float32 rounding they bring to the IoU, stay small.
    """
    if not len(boxes):
        return boxes
    span = boxes.max() - boxes.min() + 1
    shift_y = image * span
    shift_x = labels * span if labels is not None else torch.zeros_like(shift_y)
    return boxes + torch.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
