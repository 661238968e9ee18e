"""Loading a YOLO network: Ultralytics ``.pt`` checkpoints, TorchScript and ONNX exports.

A ``.pt`` checkpoint is read by ``checkpoint.load_checkpoint`` (an allow-list: no code from the
file runs) and its model prepared as ``ultralytics.YOLO`` prepares it, then used as a plain
``torch.nn.Module``; a ``.torchscript`` export needs torch alone and carries the same facts
(task, class names, stride, input size) as JSON metadata inside the file; an ``.onnx``
export runs on ONNX Runtime (``onnx_model``), the fastest of the three on a CPU.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tracklake.detection.checkpoint import load_checkpoint
from tracklake.detection.errors import ModelError
from tracklake.detection.onnx_model import load_onnx

TASKS = ("detect", "segment", "pose")


# An Ultralytics model (``DetectionModel`` and its kin) as loaded from a checkpoint: a torch
# ``Module`` whose own attributes (``model``, ``names``, ``stride``, ``fuse``, ``predict``)
# torch's typing cannot see, its ``__getattr__`` being typed ``Tensor | Module``.
UltralyticsNetwork = Any


@dataclass(frozen=True)
class LoadedModel:
    """A YOLO network on its device, with the facts needed to feed it and read its output.

    Attributes:
        network: the ``torch.nn.Module`` (or TorchScript module) in eval mode, or an
            ``OnnxNetwork`` called like one.
        format: ``pt``, ``torchscript`` or ``onnx``.
        task: ``detect``, ``segment`` or ``pose``.
        class_names: class id -> name, from the checkpoint.
        stride: the largest stride of the network; input sides are multiples of it.
        end2end: the network returns final detections ``(B, max_det, 6 + extra)`` (YOLOv10,
            exports with ``nms=True``) rather than candidates that need NMS.
        kpt_shape: ``(K, D)`` keypoints per detection of a pose model, else ``None``.
        input_size: the fixed ``(h, w)`` input of a static export, or ``None`` when any
            stride-multiple shape works (then frames are letterboxed to minimal padding).
    """

    network: UltralyticsNetwork | torch.nn.Module
    format: str
    task: str
    class_names: dict[int, str]
    stride: int
    end2end: bool
    kpt_shape: tuple[int, int] | None
    input_size: tuple[int, int] | None

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Run the network on a batch.

        Args:
            images: ``(B, 3, h, w)`` RGB in ``[0, 1]``, the network's dtype and device.

        Returns:
            ``(predictions, prototypes)``. ``predictions`` is ``(B, 4 + nc + extra, A)`` with
            ``cx, cy, w, h`` boxes in input pixels, class scores and ``extra`` mask
            coefficients or keypoints for each of ``A`` anchors; for an end2end network it is
            ``(B, max_det, 6 + extra)`` with ``x1, y1, x2, y2, score, class``.
            ``prototypes`` is ``(B, C, h/4, w/4)`` for a segment model, else ``None``.
        """
        output = self.network(images)
        # A .pt network returns (head output, raw feature maps); the head output of a segment
        # model is (predictions, prototypes). A TorchScript export drops the feature maps.
        if self.format == "pt":
            output = output[0]
        if self.task == "segment":
            return output[0], output[1]
        return output, None


def load_model(
    path: Path, *, device: torch.device, half: bool, unsafe_load_pickle: bool = False
) -> LoadedModel:
    """Load the network in ``path`` onto ``device``, in float16 when ``half``.

    Args:
        path: a ``.pt`` checkpoint, or a ``.torchscript`` or ``.onnx`` export.
        unsafe_load_pickle: read a ``.pt`` file with the plain unpickler, which runs any code
            the file names (see ``checkpoint``).

    Raises:
        ModelError: the file is of another format, is not a checkpoint, names code outside the
            allow-list, or holds a model of a task other than detect, segment or pose.
    """
    suffix = path.suffix.lower()
    if suffix == ".pt":
        model = _load_checkpoint(path, device, unsafe_load_pickle)
    elif suffix == ".torchscript":
        model = _load_torchscript(path, device)
    elif suffix == ".onnx":
        model = LoadedModel(**load_onnx(path, device))
        _check_task(path, model.task)
    else:
        raise ModelError(
            f"{path}: unsupported model format {suffix or '(no suffix)'!r}; tracklake runs "
            "Ultralytics .pt checkpoints and .torchscript and .onnx exports"
        )
    if half:
        model.network.half()
    return model


def _check_task(path: Path, task: str) -> None:
    if task not in TASKS:
        raise ModelError(
            f"{path} is a {task!r} model; tracklake needs a detect, segment or pose model"
        )


def _load_checkpoint(path: Path, device: torch.device, unsafe_load_pickle: bool) -> LoadedModel:
    try:
        from ultralytics.nn.tasks import guess_model_task
    except ImportError as error:
        raise ModelError(
            f"{path}: loading a .pt checkpoint needs Ultralytics "
            "(pip install 'tracklake[ultralytics]'); a TorchScript export needs torch alone"
        ) from error
    checkpoint = load_checkpoint(path, unsafe_load_pickle=unsafe_load_pickle)
    # As Ultralytics' load_checkpoint: the EMA weights when training saved them.
    saved = (
        checkpoint.get("ema") or checkpoint.get("model") if isinstance(checkpoint, dict) else None
    )
    if not isinstance(saved, torch.nn.Module) or not hasattr(saved, "fuse"):
        raise ModelError(f"{path} is not an Ultralytics checkpoint: it holds no YOLO model")
    task = getattr(saved, "task", None) or guess_model_task(saved)
    _check_task(path, task)
    network = prepare_network(saved).to(device)
    head = network.model[-1]
    return LoadedModel(
        network=network,
        format="pt",
        task=task,
        class_names=_class_names(network.names),
        stride=max(int(network.stride.max()), 32),
        end2end=bool(getattr(network, "end2end", False)),
        kpt_shape=tuple(head.kpt_shape) if task == "pose" else None,
        input_size=None,
    )


def _class_names(names: dict | list) -> dict[int, str]:
    """Class id -> name; older checkpoints hold a list."""
    pairs = enumerate(names) if isinstance(names, list) else names.items()
    return {int(k): str(v) for k, v in pairs}


def prepare_network(model: UltralyticsNetwork) -> UltralyticsNetwork:
    """A saved model as ``YOLO(path)`` runs it: float32, Conv+BN fused, eval mode, no grads."""
    model = model.float()
    if not hasattr(model, "stride"):
        model.stride = torch.tensor([32.0])
    for module in model.modules():
        if hasattr(module, "inplace"):
            module.inplace = True
        elif isinstance(module, torch.nn.Upsample) and not hasattr(
            module, "recompute_scale_factor"
        ):
            module.recompute_scale_factor = None  # pickled by a torch older than 1.11
    network = model.fuse(verbose=False).eval()
    network.requires_grad_(False)
    return network


def _load_torchscript(path: Path, device: torch.device) -> LoadedModel:
    import torchvision  # noqa: F401  registers torchvision ops that exports with NMS call

    files = {"config.txt": ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, still works
            network = torch.jit.load(str(path), map_location=device, _extra_files=files)
    except Exception as error:
        raise ModelError(f"{path} is not a TorchScript file: {error}") from error
    if not files["config.txt"]:
        raise ModelError(
            f"{path} has no Ultralytics metadata: export it with `yolo export format=torchscript`"
        )
    metadata: dict[str, Any] = json.loads(files["config.txt"])
    task = metadata["task"]
    _check_task(path, task)
    args = metadata.get("args", {})
    height, width = metadata["imgsz"]
    return LoadedModel(
        network=network.float().eval(),
        format="torchscript",
        task=task,
        class_names={int(k): str(v) for k, v in metadata["names"].items()},
        stride=int(metadata["stride"]),
        end2end=bool(metadata.get("end2end") or args.get("nms")),
        kpt_shape=tuple(metadata["kpt_shape"]) if task == "pose" else None,
        input_size=None if args.get("dynamic") else (int(height), int(width)),
    )
