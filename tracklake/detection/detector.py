"""The batched detector: frames in, ``Detections`` per frame out."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from tracklake.detection.appearance import DetectorFeatures
from tracklake.detection.appearance_source import load_appearance
from tracklake.detection.config import DetectorConfig, default_batch
from tracklake.detection.devices import select_device
from tracklake.detection.letterbox import Letterbox
from tracklake.detection.masks import encode_rle, frame_masks
from tracklake.detection.models import LoadedModel, load_model
from tracklake.detection.nms import NmsSettings, select
from tracklake.detection.recovery import RECOVERY_NMS_IOU, with_recovered
from tracklake.detection.reid import CropEncoder
from tracklake.detection.upload import FrameUploader
from tracklake.detection.weights import resolve_weights
from tracklake.hashing import file_sha256
from tracklake.types import Detections

log = logging.getLogger(__name__)


def load_detector(config: DetectorConfig, torch_threads: int | None = None) -> Detector:
    """Resolve, load and prepare the model ``config`` names.

    ``torch_threads`` sets the CPU threads torch runs with in this process
    (``torch.set_num_threads``); ``None`` leaves torch's default, one per core.

    Raises:
        ModelError: the model cannot be found, read or used (the message says why).
        DeviceError: ``config.device`` is not on this machine.
        ValueError: ``config.classes`` names a class the model lacks.
    """
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    path = resolve_weights(config.model)
    device = select_device(config.device)
    half = config.half and device.type != "cpu"
    if config.half and not half:
        log.warning("half=True is ignored on the CPU; running in float32")
    model = load_model(path, device=device, half=half, unsafe_load_pickle=config.unsafe_load_pickle)
    if device.type == "cuda":
        # The input shape repeats batch after batch: let cuDNN pick its fastest kernels once,
        # for weights laid out channels-last like the input (``Letterbox.apply``).
        torch.backends.cudnn.benchmark = True
        model.network.to(memory_format=torch.channels_last)
    dtype = torch.float16 if half else torch.float32
    batch = default_batch(device.type) if config.batch is None else config.batch
    detector = Detector(model, config, path, device, dtype, batch)
    detector.features, detector.crop_encoder = load_appearance(
        config.embeddings, model, path, device, unsafe_load_pickle=config.unsafe_load_pickle
    )
    return detector


class Detector:
    """A YOLO model on its device, run in batches with Ultralytics' preprocessing and NMS.

    Frames of one shape share a letterbox and so a batch; frames of several shapes in one
    call run as one batch per shape, which keeps each frame's detections independent of
    what else was in the call.

    Attributes:
        class_names: class id -> name, from the checkpoint.
        model_sha256: sha256 of the model file.
        model_path: the model file, resolved.
        task: ``detect``, ``segment`` or ``pose``.
        batch: most frames per forward pass.

    Appearance embeddings (``DetectorConfig.embeddings``) come from ``features``, the
    feature-map cell each detection was predicted from, in the same forward pass
    (``appearance``), or from ``crop_encoder``, a ReID model run on the detections' crops
    (``reid``); both ``None`` gives none.
    """

    def __init__(
        self,
        model: LoadedModel,
        config: DetectorConfig,
        path: Path,
        device: torch.device,
        dtype: torch.dtype,
        batch: int,
    ) -> None:
        self._model = model
        self.features: DetectorFeatures | None = None
        self.crop_encoder: CropEncoder | None = None
        self._device = device
        self._dtype = dtype
        self._upload = FrameUploader(device)
        self._nms = NmsSettings(
            conf=config.conf,
            iou=config.iou,
            classes=config.class_ids(model.class_names),
            max_det=config.max_det,
            agnostic=config.agnostic_nms,
        )
        # TrackTrack's second set: Ultralytics computes it for detect models with NMS only.
        recovers = config.recover_suppressed and model.task == "detect" and not model.end2end
        self._recovery_nms = replace(self._nms, iou=RECOVERY_NMS_IOU) if recovers else None
        self._target = self._target_size(model, config.imgsz)
        self.class_names = model.class_names
        self.batch = batch
        self.model_sha256 = file_sha256(path)
        self.model_path = str(path.resolve())
        self.task = model.task

    @staticmethod
    def _target_size(model: LoadedModel, imgsz: int) -> tuple[int, int]:
        """The ``(h, w)`` frames are letterboxed into, before ``rect`` trims the padding."""
        if model.input_size is not None:
            if model.input_size != (imgsz, imgsz):
                log.warning(
                    "imgsz=%d ignored: this export takes %s inputs", imgsz, model.input_size
                )
            return model.input_size
        side = math.ceil(imgsz / model.stride) * model.stride
        if side != imgsz:
            log.warning(
                "imgsz=%d is not a multiple of stride %d: using %d", imgsz, model.stride, side
            )
        return side, side

    def letterbox(self, frame_size: tuple[int, int]) -> Letterbox:
        """How a frame of ``(H, W)`` pixels is letterboxed for this model."""
        rect = self._model.input_size is None
        return Letterbox.fit(frame_size, self._target, self._model.stride, rect)

    def input_frame_size(self, frame_size: tuple[int, int]) -> tuple[int, int]:
        """The ``(h, w)`` a frame of ``(H, W)`` is scaled to before padding: frames decoded
        at this size skip the detector's own resize."""
        return self.letterbox(frame_size).scaled_size

    def detect(
        self,
        frames: Sequence[np.ndarray] | np.ndarray,
        frame_sizes: Sequence[tuple[int, int]] | None = None,
    ) -> list[Detections]:
        """Detect objects in each frame.

        Args:
            frames: uint8 RGB frames ``(h, w, 3)``, sizes may differ; or one ``(N, h, w, 3)``
                array.
            frame_sizes: each frame's original ``(H, W)`` when the frames were decoded at
                ``input_frame_size`` of it; ``None`` when the frames are the originals.

        Returns:
            one ``Detections`` per frame, in order: boxes ``x1, y1, x2, y2`` in original
            frame pixels, best score first. A pose model adds ``extras["keypoints"]``
            ``(N, K, D)`` float32 (``x, y`` in original frame pixels, then visibility); a
            segment model adds ``extras["masks_rle"]``, an object array of uint32 run
            lengths of masks at the original size (see ``masks``); with ``embeddings``
            configured, ``extras["embeddings"]`` is ``(N, E)`` float32.
        """
        # Frames share a forward pass when they share both their shape and their original's.
        groups: dict[tuple[tuple[int, ...], tuple[int, int]], list[int]] = defaultdict(list)
        for index, frame in enumerate(frames):
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise ValueError(
                    f"frame {index}: expected a uint8 (H, W, 3) RGB array, "
                    f"got {frame.dtype} {frame.shape}"
                )
            height, width = frame.shape[:2] if frame_sizes is None else frame_sizes[index]
            groups[frame.shape, (int(height), int(width))].append(index)

        found: dict[int, Detections] = {}
        for (_, original), indices in groups.items():
            letterbox = self.letterbox(original)
            for start in range(0, len(indices), self.batch):
                chunk = indices[start : start + self.batch]
                batch = _gather(frames, chunk)
                for index, detections in zip(
                    chunk, self._detect_batch(batch, letterbox), strict=True
                ):
                    found[index] = detections
        return [found[index] for index in range(len(frames))]

    @torch.inference_mode()
    def _detect_batch(self, frames: np.ndarray, letterbox: Letterbox) -> list[Detections]:
        """Detections of ``(B, H, W, 3)`` uint8 frames of one shape: one forward pass."""
        images = letterbox.apply(self._upload(frames), self._device, self._dtype)
        predictions, prototypes = self._model.forward(images)
        embedding_size = 0
        if self.features is not None:
            # Each anchor's embedding rides through NMS as extra columns of its prediction.
            embeddings = self.features.anchor_embeddings()
            predictions = torch.cat((predictions, embeddings), dim=1)
            embedding_size = embeddings.shape[1]
        selected = select(predictions, len(self.class_names), self._nms, self._model.end2end)
        detections = [
            self._to_detections(
                rows, letterbox, None if prototypes is None else prototypes[i], embedding_size
            )
            for i, rows in enumerate(selected)
        ]
        if self._recovery_nms is not None:
            loose = select(predictions, len(self.class_names), self._recovery_nms, False)
            detections = [
                with_recovered(kept, self._to_detections(rows, letterbox, None, embedding_size))
                for kept, rows in zip(detections, loose, strict=True)
            ]
        if self.crop_encoder is not None:
            return self.crop_encoder.add_embeddings(frames, detections, letterbox.frame_size)
        return detections

    def _to_detections(
        self,
        rows: torch.Tensor,
        letterbox: Letterbox,
        prototypes: torch.Tensor | None,
        embedding_size: int,
    ) -> Detections:
        """One frame's ``(n, 6 + extra + embedding_size)`` selected rows (input pixels) as
        ``Detections``."""
        rows, embeddings = rows.split((rows.shape[1] - embedding_size, embedding_size), dim=1)
        boxes = letterbox.boxes_to_frame(rows[:, :4])
        extras: dict[str, np.ndarray] = {}
        if self._model.kpt_shape is not None:
            keypoints = rows[:, 6:].reshape(len(rows), *self._model.kpt_shape)
            extras["keypoints"] = letterbox.points_to_frame(keypoints).cpu().numpy()
        if prototypes is not None:
            masks = frame_masks(prototypes, rows[:, 6:], boxes, letterbox)
            # As Ultralytics does, a detection whose mask is empty is dropped.
            nonempty = masks.flatten(1).any(1)
            rows, masks, embeddings = rows[nonempty], masks[nonempty], embeddings[nonempty]
            extras["masks_rle"] = encode_rle(masks)
        if embedding_size:
            extras["embeddings"] = embeddings.cpu().numpy()
        values = rows.cpu().numpy()
        return Detections(values[:, :4], values[:, 4], values[:, 5], extras)


def _gather(frames: Sequence[np.ndarray] | np.ndarray, indices: list[int]) -> np.ndarray:
    """``(len(indices), h, w, 3)`` uint8: the frames at ``indices`` (ascending, one shape);
    a view, not a copy, when ``frames`` is one array and the indices are consecutive."""
    if isinstance(frames, np.ndarray) and indices[-1] - indices[0] == len(indices) - 1:
        return frames[indices[0] : indices[-1] + 1]
    return np.stack([frames[i] for i in indices])
