"""A separate ReID model run on the detections' crops (BoT-SORT's ``model: <checkpoint>``).

As Ultralytics 8.4's ``trackers/utils/reid.ReID`` runs a ``.pt`` classification checkpoint:
each box grows by 2% and 10 pixels and is cut from the frame, clipped to it
(``save_one_box``); the crop's shorter side is scaled to the model's input size (PIL, bilinear)
and its centre cut square (``classify_transforms``); the embedding is the output
of the network's second-to-last layer averaged over space (``YOLO.embed``). All crops of a
batch of frames run as one forward pass. The checkpoint is read by ``checkpoint.
load_checkpoint`` (the allow-list), like the detector's. An ONNX export of the checkpoint
(``reid_onnx``) gives the same embedding from the same crops, run by ONNX Runtime on the CPU.

The crops are cut from the frames as the detector gets them: decoded at the model's size
when ``PipelineConfig.scale_at`` is ``decode`` (boxes are mapped to those pixels first), the
original frames otherwise. Ultralytics crops the original frames.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from tracklake.detection.checkpoint import load_checkpoint
from tracklake.detection.errors import ModelError
from tracklake.detection.models import UltralyticsNetwork, prepare_network
from tracklake.detection.reid_onnx import load_onnx_reid
from tracklake.types import Detections

GROWTH, MARGIN = 1.02, 10  # save_one_box's gain and pad
DEFAULT_IMGSZ = 640  # Ultralytics' predict imgsz, for checkpoints that do not say


class CropEncoder:
    """A ReID network on its device: ``(frame, boxes)`` pairs in, one embedding per box out.

    Args:
        embed: ``(B, 3, imgsz, imgsz)`` float32 crops in ``[0, 1]`` on ``device`` -> their
            ``(B, D)`` embeddings.

    Attributes:
        path: the ReID model's file.
        imgsz: the side of the square crops the network takes.
    """

    def __init__(
        self,
        path: Path,
        embed: Callable[[torch.Tensor], torch.Tensor],
        imgsz: int,
        device: torch.device,
    ) -> None:
        self.path = path
        self._embed = embed
        self._device = device
        self.imgsz = imgsz

    @classmethod
    def load(cls, path: Path, device: torch.device, unsafe_load_pickle: bool) -> CropEncoder:
        """The ReID model at ``path``, in float32: a ``.pt`` checkpoint on ``device``, or an
        ``.onnx`` export on the CPU whatever ``device`` is (the crops are cut there).

        Raises:
            ModelError: the file is neither, is not an Ultralytics classification model, or
                names code outside the allow-list.
        """
        suffix = path.suffix.lower()
        if suffix == ".onnx":
            network, imgsz = load_onnx_reid(path)
            return cls(path, network, imgsz, torch.device("cpu"))
        if suffix != ".pt":
            raise ModelError(
                f"{path}: unsupported ReID model format {suffix or '(no suffix)'!r}; tracklake "
                "runs .pt classification checkpoints and their .onnx exports"
            )
        checkpoint = load_checkpoint(path, unsafe_load_pickle=unsafe_load_pickle)
        if not isinstance(checkpoint, dict):
            checkpoint = {}
        saved = checkpoint.get("ema") or checkpoint.get("model")
        if not isinstance(saved, torch.nn.Module) or not hasattr(saved, "fuse"):
            raise ModelError(f"{path} is not an Ultralytics checkpoint: it holds no YOLO model")
        imgsz = (checkpoint.get("train_args") or {}).get("imgsz", DEFAULT_IMGSZ)
        network = prepare_network(saved).to(device)
        return cls(path, _pooled_embedding(network), int(imgsz), device)

    def add_embeddings(
        self, frames: np.ndarray, detections: list[Detections], frame_size: tuple[int, int]
    ) -> list[Detections]:
        """``detections`` with ``extras["embeddings"]`` ``(N, D)`` float32 of their crops.

        Args:
            frames: ``(B, h, w, 3)`` uint8 RGB frames the detections were found in, possibly
                decoded smaller than their originals.
            detections: per frame, boxes in pixels of the original ``frame_size`` ``(H, W)``.
        """
        height, width = frames.shape[1:3]
        scale = np.array([width, height] * 2, np.float32) / np.array(frame_size[::-1] * 2)
        embeddings = self(list(frames), [found.boxes * scale for found in detections])
        return [
            Detections(d.boxes, d.scores, d.class_ids, {**d.extras, "embeddings": e})
            for d, e in zip(detections, embeddings, strict=True)
        ]

    @torch.inference_mode()
    def __call__(self, frames: list[np.ndarray], boxes: list[np.ndarray]) -> list[np.ndarray]:
        """Embeddings of the boxes of each frame.

        Args:
            frames: ``(H, W, 3)`` uint8 RGB frames.
            boxes: per frame, ``(N, 4)`` ``x1, y1, x2, y2`` in that frame's pixels.

        Returns:
            per frame, ``(N, D)`` float32; an empty crop (a box outside its frame) gives zeros,
            which the tracker reads as "no appearance".
        """
        crops = [crop for frame, rows in zip(frames, boxes, strict=True)
                 for crop in _crops(frame, rows)]  # fmt: skip
        valid = [i for i, crop in enumerate(crops) if crop.size]
        inputs = torch.stack([self._square(crops[i]) for i in valid]) if valid else None
        embeddings = None
        if inputs is not None:
            embeddings = self._embed(inputs.to(self._device)).float().cpu().numpy()
        size = 0 if embeddings is None else embeddings.shape[1]
        every = np.zeros((len(crops), size), dtype=np.float32)
        if embeddings is not None:
            every[valid] = embeddings
        return np.split(every, np.cumsum([len(rows) for rows in boxes])[:-1])

    def _square(self, crop: np.ndarray) -> torch.Tensor:
        """``(3, imgsz, imgsz)`` float32 in ``[0, 1]``: the crop's shorter side scaled to
        ``imgsz`` by PIL (as torchvision's ``Resize`` on a PIL image, bilinear), then its
        centre."""
        height, width = crop.shape[:2]
        if height <= width:  # the longer side is truncated, as torchvision does
            size = (self.imgsz, int(self.imgsz * width / height))
        else:
            size = (int(self.imgsz * height / width), self.imgsz)
        scaled = Image.fromarray(crop).resize(size[::-1], Image.Resampling.BILINEAR)
        top, left = (round((side - self.imgsz) / 2) for side in size)
        square = np.asarray(scaled)[top : top + self.imgsz, left : left + self.imgsz]
        return torch.from_numpy(square.copy()).permute(2, 0, 1).float() / 255


def _pooled_embedding(network: UltralyticsNetwork) -> Callable[[torch.Tensor], torch.Tensor]:
    """``network``'s embedding as ``YOLO.embed`` takes it: the second-to-last layer's output
    averaged over space, ``(B, D)``."""
    layer = len(network.model) - 2

    def embed(inputs: torch.Tensor) -> torch.Tensor:
        return torch.stack(network.predict(inputs, embed=[layer]))

    return embed


def _crops(frame: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
    """The ``(h, w, 3)`` regions of ``frame`` around ``(N, 4)`` ``xyxy`` boxes, each grown as
    ``save_one_box`` grows it and clipped to the frame (possibly empty)."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = ((boxes[:, 2:] - boxes[:, :2]) * GROWTH + MARGIN) / 2
    corners = torch.from_numpy(np.concatenate([centre - half, centre + half], 1)).long()
    height, width = frame.shape[:2]
    corners[:, 0::2] = corners[:, 0::2].clamp(0, width)
    corners[:, 1::2] = corners[:, 1::2].clamp(0, height)
    return [frame[y1:y2, x1:x2] for x1, y1, x2, y2 in corners.tolist()]
