"""Checkpoint files for the model-loading tests (import as ``from checkpoints import ...``):
malicious pickles, and models saved the way Ultralytics' trainer saves them."""

from __future__ import annotations

import os
import pickle
import shlex
from copy import deepcopy
from pathlib import Path

import numpy as np
import torch


class _TouchOnLoad:
    """Unpickling this runs ``touch marker`` through ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def malicious_checkpoint(path: Path, marker: Path, *, zip_format: bool) -> Path:
    """A ``.pt`` file whose unpickling creates ``marker``: ``torch.save``'s zip format, or a
    plain ``pickle.dump``."""
    payload = {"model": _TouchOnLoad(marker)}
    if zip_format:
        torch.save(payload, path)
    else:
        with path.open("wb") as file:
            pickle.dump(payload, file)
    return path


def save_as_trained(model: torch.nn.Module, path: Path, task: str) -> Path:
    """Save ``model`` as a finished Ultralytics training leaves it: the trainer's
    ``save_model`` dictionary (EMA model in float16, arguments, metrics as numpy floats), then
    Ultralytics' own ``strip_optimizer``."""
    import ultralytics
    from ultralytics.utils.torch_utils import strip_optimizer

    last = path.with_name(f"{path.stem}-last.pt")
    ema = deepcopy(model).half()
    torch.save(
        {
            "epoch": 2,
            "best_fitness": np.float64(0.5),
            "model": None,
            "ema": ema,
            "updates": 30,
            "optimizer": None,
            "train_args": {"task": task, "imgsz": 640, "epochs": 3, "batch": 16},
            "train_metrics": {"metrics/mAP50(B)": np.float64(0.61), "fitness": np.float64(0.5)},
            "train_results": {"epoch": [1, 2], "train/box_loss": [1.5, 1.2]},
            "date": "2026-01-01T00:00:00+00:00",
            "version": ultralytics.__version__,
        },
        last,
    )
    strip_optimizer(last, str(path))
    last.unlink()
    return path


REID_CROP_SIZE = 224  # the training size of reid_checkpoint's model


def reid_checkpoint(path: Path, donor: Path) -> Path:
    """A ReID classification checkpoint at ``path``, saved as training saves one (float16,
    ``train_args`` with ``imgsz`` ``REID_CROP_SIZE``). None can be downloaded here, so it is
    built from Ultralytics' ``yolov8n-cls.yaml``: its backbone copied from the detection checkpoint
    ``donor`` (so the features describe people), its head left as initialised (seed 0)."""
    from ultralytics import YOLO
    from ultralytics.nn.tasks import ClassificationModel

    torch.manual_seed(0)
    model = ClassificationModel("yolov8n-cls.yaml", nc=10, verbose=False)
    own = model.state_dict()
    weights = YOLO(str(donor)).model.state_dict()
    own.update({k: v for k, v in weights.items() if k in own and own[k].shape == v.shape})
    model.load_state_dict(own)
    torch.save(
        {"model": model.half(), "train_args": {"task": "classify", "imgsz": REID_CROP_SIZE}}, path
    )
    return path
