"""Appearance embeddings from the detector's own feature maps (BoT-SORT's ``model: auto``).

As Ultralytics 8.4 does it (``trackers/track.py`` hooks the head, ``DetectionPredictor.
get_obj_feats`` pools): the feature maps the detection head receives, one per stride
(``(B, C_l, h_l, w_l)``, e.g. 64, 128 and 256 channels at strides 8, 16, 32 for YOLOv8n), are
reduced to ``D`` channels each, ``D`` the fewest channels of any level, by averaging groups of
``C_l / D`` consecutive channels. A detection's embedding is then the ``D`` values of the one
feature-map cell (anchor) its box was predicted from: the cell NMS kept, not a pool over the
box. The anchors are ordered as the head orders its predictions (level by level, each row
by row), so the embeddings can ride through NMS as extra prediction columns.

The feature maps are those of the network input: the frame scaled to the model's size and
letterboxed, the same whether the frame was decoded at the model's size or scaled by the
detector (``PipelineConfig.scale_at``).
"""

from __future__ import annotations

import torch

from tracklake.detection.errors import ModelError
from tracklake.detection.models import LoadedModel, UltralyticsNetwork


class DetectorFeatures:
    """Captures the feature maps a ``.pt`` detector's head receives in each forward pass and
    turns them into one embedding per anchor.

    Raises:
        ModelError: the model is not a ``.pt`` detection-head network whose head takes
            feature maps (TorchScript and ONNX exports hide them; end2end heads pick their
            detections without anchors NMS could keep).
    """

    def __init__(self, model: LoadedModel, path: str) -> None:
        from ultralytics.nn.modules.head import Detect  # a .pt model was loaded: it is installed

        network: UltralyticsNetwork = model.network  # a .pt model's, when format is "pt"
        head = network.model[-1] if model.format == "pt" else None
        if not isinstance(head, Detect) or model.end2end:
            raise ModelError(
                f"{path}: with_reid's model 'auto' takes embeddings from the feature maps of a "
                ".pt detector without end-to-end NMS; for this model set the tracker's "
                "`model` to a ReID model (a classification checkpoint or export)"
            )
        self._maps: list[torch.Tensor] | None = None
        head.register_forward_pre_hook(self._keep)

    def _keep(self, _head: torch.nn.Module, inputs: tuple) -> None:
        self._maps = list(inputs[0])

    def anchor_embeddings(self) -> torch.Tensor:
        """``(B, D, A)`` embeddings of every anchor of the last forward pass, in the network's
        dtype: ``A`` anchors ordered as the head's predictions."""
        if self._maps is None:
            raise RuntimeError("no forward pass has run since the hook was set")
        maps, self._maps = self._maps, None
        size = min(level.shape[1] for level in maps)
        return torch.cat(
            [
                level.reshape(level.shape[0], size, level.shape[1] // size, -1).mean(2)
                for level in maps
            ],
            dim=2,
        )
