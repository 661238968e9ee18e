"""The detector's settings, named and defaulted as in Ultralytics' ``predict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DetectorConfig:
    """How to load and run the detector.

    Attributes:
        model: a path to a ``.pt`` or ``.torchscript`` file, or a bare file name looked up in
            ``$TRACKLAKE_WEIGHTS_DIR``, then Ultralytics' weights folder, then downloaded.
        imgsz: the longer side of the network input in pixels; rounded up to the model's stride.
            TorchScript exports with a fixed input size use the size they were exported with.
        conf: keep detections whose best class score is above this.
        iou: NMS IoU threshold.
        classes: keep only these class ids; ``None`` keeps all.
        max_det: at most this many detections per frame.
        agnostic_nms: suppress overlapping boxes across classes, not only within one.
        half: run in float16 on an accelerator; ignored on the CPU, as in Ultralytics.
        device: ``auto`` (first CUDA device if any, else the CPU), ``cpu``, ``cuda``,
            ``cuda:N``, ``N`` (CUDA device N) or ``mps``.
        batch: frames per forward pass.
    """

    model: str = "yolov8n.pt"
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    classes: tuple[int, ...] | None = None
    max_det: int = 300
    agnostic_nms: bool = False
    half: bool = False
    device: str = "auto"
    batch: int = 32

    def __post_init__(self) -> None:
        if self.classes is not None:
            object.__setattr__(self, "classes", tuple(int(c) for c in self.classes))
        if not self.model:
            raise ValueError("model must name a checkpoint")
        if self.imgsz <= 0:
            raise ValueError(f"imgsz must be positive, got {self.imgsz}")
        for name in ("conf", "iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.max_det <= 0:
            raise ValueError(f"max_det must be positive, got {self.max_det}")
        if self.batch <= 0:
            raise ValueError(f"batch must be positive, got {self.batch}")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-able values (``classes`` becomes a list or ``None``)."""
        settings = asdict(self)
        if self.classes is not None:
            settings["classes"] = list(self.classes)
        return settings
