"""Ultralytics ONNX exports run by ONNX Runtime on the CPU, where they beat torch.

On 2 CPU cores ONNX Runtime ran yolov8n 1.7-1.9x faster than torch on the same inputs
(BENCHMARKS.md, "End to end"). An ONNX file holds a graph and weights, no code to run, and
carries the facts Ultralytics writes into its metadata (task, class names, stride, input
size); they are read with ``ast.literal_eval``, which evaluates literals only. Make one with
``yolo export model=yolov8n.pt format=onnx dynamic=True`` (``dynamic`` lets tracklake pick
the input size and batch; a static export runs one frame at a time at its exported size).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tracklake.detection.errors import ModelError
from tracklake.messages import first_line


class OnnxNetwork:
    """An ONNX Runtime session called like the torch network it was exported from.

    Args:
        session: an ``onnxruntime.InferenceSession`` of an Ultralytics export.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        (model_input,) = session.get_inputs()
        self._input = model_input.name
        batch = model_input.shape[0]
        self._batch = batch if isinstance(batch, int) else None  # None: any batch size

    def __call__(self, images: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """``(B, 3, h, w)`` float32 images -> the export's outputs as tensors (one, or
        ``(predictions, prototypes)`` for a segment model)."""
        step = self._batch or len(images)
        chunks = [
            self._session.run(None, {self._input: images[i : i + step].numpy()})
            for i in range(0, len(images), step)
        ]
        outputs = [np.concatenate(parts) for parts in zip(*chunks, strict=True)]
        tensors = tuple(torch.from_numpy(output) for output in outputs)
        return tensors[0] if len(tensors) == 1 else tensors


def load_onnx(path: Path, device: torch.device) -> dict[str, Any]:
    """The network in an ONNX export and its facts: the fields of ``LoadedModel``.

    Raises:
        ModelError: ONNX Runtime is missing, the device is not the CPU, the file is not an
            ONNX model, or it lacks Ultralytics' metadata.
    """
    if device.type != "cpu":
        raise ModelError(f"{path}: ONNX exports run on the CPU; on {device} use the .pt checkpoint")
    session = open_session(path)
    metadata = ultralytics_metadata(path, session.get_modelmeta().custom_metadata_map)
    args = ast.literal_eval(metadata.get("args", "{}"))
    height, width = ast.literal_eval(metadata["imgsz"])
    task = metadata["task"]
    return {
        "network": OnnxNetwork(session),
        "format": "onnx",
        "task": task,
        "class_names": {int(k): str(v) for k, v in ast.literal_eval(metadata["names"]).items()},
        "stride": int(metadata["stride"]),
        "end2end": metadata.get("end2end") == "True" or bool(args.get("nms")),
        "kpt_shape": tuple(ast.literal_eval(metadata["kpt_shape"])) if task == "pose" else None,
        "input_size": None if args.get("dynamic") else (int(height), int(width)),
    }


def open_session(path: Path, model: bytes | None = None) -> Any:
    """An ONNX Runtime session on the CPU of the export at ``path``, or of ``model``, the
    serialized graph read from it, with as many threads as torch was given (the worker plan
    sets them per worker).

    Raises:
        ModelError: ONNX Runtime is missing, or the file is not an ONNX model.
    """
    try:
        import onnxruntime
    except ImportError as error:
        raise ModelError(
            f"{path}: running an ONNX export needs ONNX Runtime (pip install 'tracklake[onnx]')"
        ) from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(
            str(path) if model is None else model, options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # ONNX Runtime raises its own, unexported error types
        raise ModelError(f"{path} is not an ONNX model: {first_line(error)}") from None


def ultralytics_metadata(path: Path, metadata: dict[str, str]) -> dict[str, str]:
    """``metadata``, an export's key -> value strings, once it holds what Ultralytics writes.

    Raises:
        ModelError: the export lacks Ultralytics' task or class names.
    """
    if "names" not in metadata or "task" not in metadata:
        raise ModelError(
            f"{path} has no Ultralytics metadata: export it with `yolo export format=onnx`"
        )
    return metadata
