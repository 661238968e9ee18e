"""Which torch device a ``--device`` name means, and whether this machine has it.

Apart from ``detector`` so that checking a device imports torch alone: the detector's
torchvision import costs a checking process about 2 s.
"""

from __future__ import annotations

import torch

from tracklake.detection.errors import DeviceError


def select_device(name: str) -> torch.device:
    """The torch device ``name`` means: ``auto`` is the first CUDA device if any, else the
    CPU; a bare number ``N`` is ``cuda:N``.

    Raises:
        DeviceError: ``name`` is no device, or one this machine does not have.
    """
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(f"cuda:{name}" if name.isdigit() else name)
    except RuntimeError:
        raise DeviceError(
            f"device {name!r} is not a device: use auto, cpu, cuda, cuda:N, N or mps"
        ) from None
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0:
            raise DeviceError(f"device {name!r}: no CUDA device on this machine")
        if device.index is not None and device.index >= count:
            raise DeviceError(
                f"device {name!r}: this machine has {count} CUDA device(s), "
                f"cuda:0 to cuda:{count - 1}"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {name!r}: no MPS device on this machine")
    return device
