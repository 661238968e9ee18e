"""Frames from host memory to the model's device.

On a GPU the copy goes through one reused page-locked (pinned) buffer, so it runs as an
asynchronous DMA that overlaps the host's work instead of a blocking copy from pageable
memory. The buffer is refilled only after the previous batch's results came back to the
host (``Detector`` copies its detections to the CPU, which waits for the stream), so a copy
in flight is never overwritten.
"""

from __future__ import annotations

import numpy as np
import torch


class FrameUploader:
    """Copies ``(B, H, W, 3)`` uint8 frames to ``device``; on the CPU it only wraps them."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._pinned: torch.Tensor | None = None

    def __call__(self, frames: np.ndarray) -> torch.Tensor:
        """``frames`` as a uint8 tensor of the same shape on the device."""
        host = torch.from_numpy(np.ascontiguousarray(frames))
        if self.device.type != "cuda":
            return host.to(self.device)
        if self._pinned is None or self._pinned.numel() < host.numel():
            self._pinned = torch.empty(host.numel(), dtype=torch.uint8, pin_memory=True)
        staged = self._pinned[: host.numel()].view(host.shape)
        staged.copy_(host)
        return staged.to(self.device, non_blocking=True)
