"""What gives a run's appearance embeddings, loaded beside its detector: the detector's own
feature maps (``auto``) or a ReID model. Apart from ``detector`` so that the preflight child
can load it without the detector's NMS (torchvision, whose import costs ~2 s of CPU)."""

from __future__ import annotations

from pathlib import Path

import torch

from tracklake.detection.appearance import DetectorFeatures
from tracklake.detection.errors import ModelError
from tracklake.detection.models import LoadedModel
from tracklake.detection.reid import CropEncoder
from tracklake.detection.weights import resolve_weights
from tracklake.messages import first_line


def load_appearance(
    embeddings: str | None,
    model: LoadedModel,
    path: Path,
    device: torch.device,
    *,
    unsafe_load_pickle: bool,
) -> tuple[DetectorFeatures | None, CropEncoder | None]:
    """What computes the embeddings ``DetectorConfig.embeddings`` names, for the detector
    ``model`` loaded from ``path``: ``(features, None)`` for ``auto``, ``(None, encoder)``
    for a ReID model (resolved as the detector's model is), ``(None, None)`` for ``None``.

    Raises:
        ModelError: ``auto`` with a detector that has no feature maps to give, or a ReID
            model that cannot be found, read or used; one line naming the file.
    """
    if embeddings is None:
        return None, None
    if embeddings == "auto":
        return DetectorFeatures(model, str(path)), None
    try:
        return None, CropEncoder.load(resolve_weights(embeddings), device, unsafe_load_pickle)
    except ModelError as error:
        raise ModelError(f"the tracker's ReID model: {first_line(error)}") from None
