"""Instance masks of a segment model as run-length encodings of the original frame.

A mask is carried as COCO's uncompressed RLE: the frame's pixels in column-major (Fortran)
order, as run lengths that alternate between background and mask, starting with background
(a first run of 0 when the mask covers the top-left pixel). ``pycocotools.mask.frPyObjects``
reads it as ``{"size": [H, W], "counts": list(counts)}``; ``decode_rle`` reads it here.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from tracklake.detection.letterbox import Letterbox

# Detections whose masks are upsampled together: bounds the float buffer to about
# CHUNK * H * W * 4 bytes (265 MB for a 1080p frame).
CHUNK = 32


def frame_masks(
    prototypes: torch.Tensor,
    coefficients: torch.Tensor,
    boxes: torch.Tensor,
    letterbox: Letterbox,
) -> torch.Tensor:
    """The binary masks of one frame's detections, at the frame's resolution.

    Like Ultralytics' ``retina_masks=True``: mask logits are upsampled to the network input,
    stripped of the letterbox padding, resized to the frame, thresholded at 0 and cut to
    each box.

    Args:
        prototypes: ``(C, h/4, w/4)`` mask prototypes of the frame.
        coefficients: ``(N, C)`` mask coefficients of its detections.
        boxes: ``(N, 4)`` ``x1, y1, x2, y2`` boxes in frame pixels.
        letterbox: how the frame was letterboxed.

    Returns:
        ``(N, H, W)`` bool tensor on the prototypes' device.
    """
    channels, proto_h, proto_w = prototypes.shape
    logits = (coefficients.float() @ prototypes.float().view(channels, -1)).view(
        -1, 1, proto_h, proto_w
    )
    top, left = letterbox.top, letterbox.left
    height, width = letterbox.scaled_size
    masks = torch.empty((len(logits), *letterbox.frame_size), dtype=torch.bool, device=boxes.device)
    for start in range(0, len(logits), CHUNK):
        chunk = F.interpolate(logits[start : start + CHUNK], letterbox.input_size, mode="bilinear")
        chunk = chunk[..., top : top + height, left : left + width]
        chunk = F.interpolate(chunk, letterbox.frame_size, mode="bilinear")
        masks[start : start + CHUNK] = chunk[:, 0] > 0
    return masks & _inside_boxes(boxes, letterbox.frame_size)


def _inside_boxes(boxes: torch.Tensor, frame_size: tuple[int, int]) -> torch.Tensor:
    """``(N, H, W)`` bool: which pixels (by their top-left corner) lie inside each box."""
    rows = torch.arange(frame_size[0], device=boxes.device, dtype=boxes.dtype)[None, :, None]
    columns = torch.arange(frame_size[1], device=boxes.device, dtype=boxes.dtype)[None, None, :]
    x1, y1, x2, y2 = (boxes[:, i, None, None] for i in range(4))
    return (columns >= x1) & (columns < x2) & (rows >= y1) & (rows < y2)


def encode_rle(masks: torch.Tensor) -> np.ndarray:
    """COCO uncompressed RLE of each mask.

    Args:
        masks: ``(N, H, W)`` bool tensor.

    Returns:
        ``(N,)`` object array of uint32 arrays of run lengths summing to ``H * W``
        (column-major order).
    """
    count = len(masks)
    flat = masks.transpose(1, 2).reshape(count, -1)  # column-major pixel order
    size = flat.shape[1]
    # Runs end where a pixel differs from the next one; only those positions leave the device.
    changed_masks, changed_pixels = (flat[:, 1:] != flat[:, :-1]).nonzero(as_tuple=True)
    mask_index, position = changed_masks.cpu().numpy(), changed_pixels.cpu().numpy() + 1
    starts_inside = flat[:, 0].cpu().numpy()
    bounds = np.searchsorted(mask_index, np.arange(count + 1))
    encodings = np.empty(count, dtype=object)
    for i in range(count):
        edges = np.concatenate(([0], position[bounds[i] : bounds[i + 1]], [size]))
        runs = np.diff(edges).astype(np.uint32)
        encodings[i] = np.concatenate(([0], runs), dtype=np.uint32) if starts_inside[i] else runs
    return encodings


def decode_rle(counts: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """The ``(H, W)`` bool mask that ``counts`` (see ``encode_rle``) encodes."""
    height, width = frame_size
    values = np.arange(len(counts)) % 2 == 1  # runs alternate background, mask, ...
    return np.repeat(values, counts).reshape(width, height).T
