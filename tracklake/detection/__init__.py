"""Object detection: the only package that imports torch.

``load_detector(DetectorConfig(...))`` gives a ``Detector`` whose ``detect(frames)`` turns
uint8 RGB frames into one ``tracklake.types.Detections`` per frame. The configuration, the
errors and the weights lookup import no torch, so a driver can check a model name without it;
``Detector`` and ``load_detector`` load torch when first used.
"""

from typing import Any

from tracklake.detection.config import DetectorConfig
from tracklake.detection.errors import ModelError

__all__ = ["Detector", "DetectorConfig", "ModelError", "load_detector"]


def __getattr__(name: str) -> Any:
    if name in ("Detector", "load_detector"):
        from tracklake.detection import detector

        return getattr(detector, name)
    raise AttributeError(f"module 'tracklake.detection' has no attribute {name!r}")
