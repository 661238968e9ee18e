"""Importing decord without letting it hijack the process's BLAS.

On import, decord2 dlopens every shared library of the ``nvidia-*`` pip packages with
``RTLD_GLOBAL`` (to serve its CUDA builds). A CUDA build of torch installs those packages,
libnvblas among them, and once libnvblas is loaded globally it intercepts the CPU matrix
products of torch: ``[NVBLAS] cublasXtSgemm failed`` and wrong results or a crash. tracklake
decodes on the CPU, so decord is imported with the ``nvidia`` packages hidden from its search.
"""

from __future__ import annotations

import sys
import threading
import types
from typing import Any

# Threads probing videos in parallel must not see a half-imported decord.
_IMPORT_LOCK = threading.Lock()


def import_decord() -> Any:
    """The ``decord`` module, imported without preloading the nvidia-* libraries."""
    with _IMPORT_LOCK:
        if "nvidia" in sys.modules:  # torch already loaded them its own way
            import decord

            return decord
        # find_spec("nvidia") finds this placeholder, whose __spec__ is None, and decord's
        # best-effort preloader gives up quietly.
        placeholder = types.ModuleType("nvidia")
        placeholder.__spec__ = None
        sys.modules["nvidia"] = placeholder
        try:
            import decord
        finally:
            if sys.modules.get("nvidia") is placeholder:
                del sys.modules["nvidia"]
        return decord
