"""Letterboxing on the device: frames to network input and network pixels back to frame pixels.

Matches Ultralytics' ``LetterBox`` as its predictor uses it: scale the frame so it fits the
target keeping its aspect ratio (sides rounded to whole pixels), then pad both sides evenly
with grey (114). With ``rect`` the target shrinks to the smallest stride multiple that holds
the scaled frame (Ultralytics' ``auto`` mode, used for ``.pt`` models), so a 640x480 frame at
``imgsz=640`` becomes a 640x480 input with no padding at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

PAD_VALUE = 114.0
_RESIZE_CHUNK_BYTES = 256 << 20


@dataclass(frozen=True)
class Letterbox:
    """Where a frame of one shape lands in the network input.

    Attributes:
        frame_size: ``(H, W)`` of the original frame.
        input_size: ``(h, w)`` of the network input.
        scaled_size: ``(h, w)`` of the frame once scaled, before padding.
        top, left: padding above and left of the scaled frame, in input pixels.
    """

    frame_size: tuple[int, int]
    input_size: tuple[int, int]
    scaled_size: tuple[int, int]
    top: int
    left: int

    @classmethod
    def fit(
        cls, frame_size: tuple[int, int], target: tuple[int, int], stride: int, rect: bool
    ) -> Letterbox:
        """The letterbox of a ``frame_size`` frame into a ``target`` ``(h, w)`` input.

        With ``rect``, padding is trimmed to what makes each side a multiple of ``stride``.
        """
        height, width = frame_size
        gain = min(target[0] / height, target[1] / width)
        scaled = (max(round(height * gain), 1), max(round(width * gain), 1))
        pad_h, pad_w = target[0] - scaled[0], target[1] - scaled[1]
        if rect:
            pad_h, pad_w = pad_h % stride, pad_w % stride
        # Ultralytics splits odd padding with round(x -/+ 0.1): the extra pixel goes below/right.
        top, left = round(pad_h / 2 - 0.1), round(pad_w / 2 - 0.1)
        bottom, right = round(pad_h / 2 + 0.1), round(pad_w / 2 + 0.1)
        return cls(
            frame_size=(height, width),
            input_size=(scaled[0] + top + bottom, scaled[1] + left + right),
            scaled_size=scaled,
            top=top,
            left=left,
        )

    def apply(
        self, frames: np.ndarray | torch.Tensor, device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        """Letterbox a batch of frames on ``device``.

        Args:
            frames: ``(B, H, W, 3)`` uint8 RGB frames (host array, or a tensor already on
                ``device``) of this letterbox's ``frame_size``, or
                already scaled to its ``scaled_size`` (decoded at the model's size), which
                then only get padded.
            dtype: ``torch.float32`` or ``torch.float16``.

        Returns:
            ``(B, 3, h, w)`` ``dtype`` tensor in ``[0, 1]``, ``(h, w) = input_size``:
            contiguous NCHW on the CPU, channels-last on an accelerator.
        """
        if frames.shape[1:3] not in (self.frame_size, self.scaled_size):
            raise ValueError(
                f"frames of {frames.shape[1:3]} fit neither {self.frame_size} nor the scaled "
                f"{self.scaled_size} of this letterbox"
            )
        if isinstance(frames, np.ndarray):
            frames = torch.from_numpy(frames)
        # NHWC frames seen as NCHW are channels-last already: what GPU convolutions in float16
        # run fastest on. On the CPU, channels-last sends every convolution down a path that is
        # ten times slower at batch 1: there the input is made contiguous NCHW.
        images = frames.to(device).permute(0, 3, 1, 2)
        if device.type == "cpu":
            images = images.contiguous()
        if frames.shape[1:3] != self.scaled_size:
            images = self._resize(images)
        images = images.to(dtype)
        bottom = self.input_size[0] - self.scaled_size[0] - self.top
        right = self.input_size[1] - self.scaled_size[1] - self.left
        if self.top or bottom or self.left or right:
            images = F.pad(images, (self.left, right, self.top, bottom), value=PAD_VALUE)
        if device.type != "cpu":
            images = images.contiguous(memory_format=torch.channels_last)
        return images.div_(255)

    def _resize(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` uint8 -> ``(B, 3, h, w)`` float32 whole grey levels, ``scaled_size``.

        Bilinear without antialiasing and half-pixel centres, as cv2.INTER_LINEAR; rounding
        back to whole grey levels keeps the input what a uint8 resize would give. In chunks
        of at most ``_RESIZE_CHUNK_BYTES`` of float frames: a float copy of a whole batch of
        1080p frames would take 25 MB a frame (800 MB at batch 32).
        """
        frame_bytes = 4 * images[0].numel()
        chunk = max(1, _RESIZE_CHUNK_BYTES // frame_bytes)
        scaled = torch.empty((len(images), 3, *self.scaled_size), device=images.device)
        for start in range(0, len(images), chunk):
            scaled[start : start + chunk] = F.interpolate(
                images[start : start + chunk].float(),
                size=self.scaled_size,
                mode="bilinear",
                align_corners=False,
            )
        return scaled.add_(0.5).floor_()

    def boxes_to_frame(self, boxes: torch.Tensor) -> torch.Tensor:
        """Map ``(N, 4)`` ``x1, y1, x2, y2`` boxes from input to frame pixels, in place."""
        self._to_frame(boxes[:, 0::2], boxes[:, 1::2])
        return boxes

    def points_to_frame(self, points: torch.Tensor) -> torch.Tensor:
        """Map ``(..., D)`` points whose last dimension starts with ``x, y`` (keypoints
        ``(N, K, 3)``) from input to frame pixels, in place."""
        self._to_frame(points[..., 0], points[..., 1])
        return points

    def _to_frame(self, xs: torch.Tensor, ys: torch.Tensor) -> None:
        """Undo padding and scaling of views into a tensor, clipping to the frame."""
        height, width = self.frame_size
        xs.sub_(self.left).div_(self.scaled_size[1] / width).clamp_(0, width)
        ys.sub_(self.top).div_(self.scaled_size[0] / height).clamp_(0, height)
