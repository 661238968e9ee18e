"""Checking a model and a device in a short-lived process, so that the caller never loads torch.

A driver that imported torch to check the model would carry about 650 MB for the whole run.
``check_model`` instead runs ``python -m tracklake.detection.preflight``: the child resolves
the model, checks the device exists on this machine, loads the model on the CPU as a worker
will (through the allow-list), and with it what gives the run's appearance embeddings (a
ReID model, or the detector's own feature maps for ``auto``), and answers with one JSON
object on its stdout: the model's facts, or the one-line error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

from tracklake.detection.config import DetectorConfig
from tracklake.detection.errors import DeviceError, ModelError
from tracklake.messages import first_line

_ERRORS: dict[str, type[Exception]] = {"model": ModelError, "device": DeviceError}


@dataclass(frozen=True)
class ModelFacts:
    """What a run needs to know of its model before any worker loads it.

    Attributes:
        path: the model file, resolved.
        sha256: hex sha256 of the file.
        task: ``detect``, ``segment`` or ``pose``.
        class_names: class id -> name.
        reid_sha256: hex sha256 of the ReID model file that gives the embeddings; None
            without one (no appearance, or ``auto``).
    """

    path: str
    sha256: str
    task: str
    class_names: dict[int, str]
    reid_sha256: str | None = None


def check_model(config: DetectorConfig, *, check_device: bool = True) -> ModelFacts:
    """Load ``config``'s model, and its ``embeddings`` source if it has one, in a child
    process and check its device exists here.

    Args:
        check_device: whether ``config.device`` must exist on this machine (not when the
            workers run on other machines of a cluster).

    Raises:
        ModelError: the model (or the ReID model, or ``auto`` embeddings for it) cannot be
            found, read or used; one line naming the file.
        DeviceError: the device does not exist on this machine.
    """
    request = {
        "model": config.model,
        "device": config.device if check_device else None,
        "unsafe_load_pickle": config.unsafe_load_pickle,
        "embeddings": config.embeddings,
    }
    command = [sys.executable, "-m", __name__, json.dumps(request)]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        answer = json.loads(child.stdout)
    except json.JSONDecodeError:
        last = (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        raise ModelError(f"checking the model {config.model} failed: {last}") from None
    if "error" in answer:
        raise _ERRORS[answer["kind"]](answer["error"])
    facts = answer["facts"]
    names = {int(class_id): name for class_id, name in facts.pop("class_names").items()}
    return ModelFacts(**facts, class_names=names)


def _facts(
    model: str, device: str | None, unsafe_load_pickle: bool, embeddings: str | None
) -> ModelFacts:
    import torch

    from tracklake.detection.appearance_source import load_appearance
    from tracklake.detection.devices import select_device
    from tracklake.detection.models import load_model
    from tracklake.detection.weights import resolve_weights
    from tracklake.hashing import file_sha256

    path = resolve_weights(model)
    if device is not None:
        select_device(device)
    cpu = torch.device("cpu")
    loaded = load_model(path, device=cpu, half=False, unsafe_load_pickle=unsafe_load_pickle)
    _, reid = load_appearance(embeddings, loaded, path, cpu, unsafe_load_pickle=unsafe_load_pickle)
    reid_sha256 = None if reid is None else file_sha256(reid.path)
    return ModelFacts(
        str(path.resolve()), file_sha256(path), loaded.task, loaded.class_names, reid_sha256
    )


def main(argument: str) -> None:
    """The child: answer for the request in ``argument`` (JSON) on stdout."""
    # Only the answer goes to stdout; what torch and Ultralytics print goes to stderr.
    answer_fd = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    answer: dict[str, Any]
    try:
        answer = {"facts": asdict(_facts(**json.loads(argument)))}
    except ModelError as error:
        answer = {"error": first_line(error), "kind": "model"}
    except DeviceError as error:
        answer = {"error": first_line(error), "kind": "device"}
    with os.fdopen(answer_fd, "w") as out:
        json.dump(answer, out)


if __name__ == "__main__":
    main(sys.argv[1])
