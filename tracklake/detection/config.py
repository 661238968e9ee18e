"""The detector's settings, named and defaulted as in Ultralytics' ``predict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def default_batch(device_type: str) -> int:
    """Frames per forward pass where the user did not say: large on an accelerator, where a
    pass over a big batch costs little more than over one frame; small on a CPU, where
    batching gains nothing and holds more frames (BENCHMARKS.md, "Detector")."""
    return 4 if device_type == "cpu" else 64


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
        classes: keep only these classes: ids, or names looked up in the model's class names
            (``class_ids``); ``None`` keeps all.
        max_det: at most this many detections per frame.
        agnostic_nms: suppress overlapping boxes across classes, not only within one.
        half: run in float16 on an accelerator; ignored on the CPU, as in Ultralytics.
        device: ``auto`` (first CUDA device if any, else the CPU), ``cpu``, ``cuda``,
            ``cuda:N``, ``N`` (CUDA device N) or ``mps``.
        batch: frames per forward pass; ``None`` picks by device (``default_batch``): in a
            job, the worker's step of ``jobs.plan``; alone, ``load_detector``.
        unsafe_load_pickle: read a ``.pt`` checkpoint with the plain unpickler, which runs any
            code the file names, instead of the allow-list (see ``checkpoint``). Only for files
            the user trusts; it never changes a result.
        embeddings: also give each detection an appearance embedding,
            ``extras["embeddings"]`` ``(N, D)`` float32: ``auto`` pools them from the
            detector's own feature maps in the same forward pass (``appearance``), a path runs
            that ReID model on the detections' crops; ``None`` (the default) gives none. Set
            from the tracker's ``with_reid`` and ``model`` (``PipelineConfig``).
        recover_suppressed: also give each frame the detections a looser NMS keeps that the
            NMS dropped, flagged ``extras["recovered"]`` (``recovery``): TrackTrack's second
            set, as Ultralytics gives it. Set from the tracker (``PipelineConfig``).
    """

    model: str = "yolov8n.pt"
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    classes: tuple[int | str, ...] | None = None
    max_det: int = 300
    agnostic_nms: bool = False
    half: bool = False
    device: str = "auto"
    batch: int | None = None
    unsafe_load_pickle: bool = False
    embeddings: str | None = None
    recover_suppressed: bool = False

    def __post_init__(self) -> None:
        if self.classes is not None:
            object.__setattr__(self, "classes", tuple(_class(c) for c in self.classes))
        if not self.model:
            raise ValueError("model must name a checkpoint")
        if self.imgsz <= 0:
            raise ValueError(f"imgsz must be positive, got {self.imgsz}")
        for name in ("conf", "iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.max_det <= 0:
            raise ValueError(f"max_det must be positive, got {self.max_det}")
        if self.batch is not None and self.batch <= 0:
            raise ValueError(f"batch must be positive, got {self.batch}")
        if self.embeddings == "":
            raise ValueError("embeddings must be 'auto', a ReID model or None, got ''")

    def class_ids(self, class_names: dict[int, str]) -> tuple[int, ...] | None:
        """``classes`` as ids of the model whose classes are ``class_names``.

        Raises:
            ValueError: a name or id is not among ``class_names``.
        """
        if self.classes is None:
            return None
        ids: dict[int | str, int] = {name: class_id for class_id, name in class_names.items()}
        ids.update({class_id: class_id for class_id in class_names})
        unknown = [str(c) for c in self.classes if c not in ids]
        if unknown:
            raise ValueError(
                f"classes: {', '.join(unknown)} not among the model's classes "
                f"({_describe(class_names)})"
            )
        return tuple(ids[c] for c in self.classes)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-able values (``classes`` becomes a list or ``None``)."""
        settings = asdict(self)
        if self.classes is not None:
            settings["classes"] = list(self.classes)
        return settings


def _class(value: int | str) -> int | str:
    """A class as given: an id (``2``, ``"2"``) or a name (``"car"``)."""
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def _describe(class_names: dict[int, str], shown: int = 10) -> str:
    names = [f"{class_id} {name}" for class_id, name in sorted(class_names.items())]
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
