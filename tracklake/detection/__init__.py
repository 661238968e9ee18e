"""Object detection: the only package that imports torch.

``load_detector(DetectorConfig(...))`` gives a ``Detector`` whose ``detect(frames)`` turns
uint8 RGB frames into one ``tracklake.types.Detections`` per frame.
"""

from tracklake.detection.config import DetectorConfig
from tracklake.detection.detector import Detector, load_detector
from tracklake.detection.errors import ModelError

__all__ = ["Detector", "DetectorConfig", "ModelError", "load_detector"]
