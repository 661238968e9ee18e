"""Resolution of ``--model``: from a path or a bare file name to a checkpoint on disk.

Order: an existing path; else a bare name such as ``yolov8n.pt`` in ``$TRACKLAKE_WEIGHTS_DIR``,
then in Ultralytics' weights folder, then downloaded by Ultralytics' asset downloader into
that folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from tracklake.detection.errors import ModelError

WEIGHTS_DIR_ENV = "TRACKLAKE_WEIGHTS_DIR"

log = logging.getLogger(__name__)

Downloader = Callable[[str, Path], Path]
"""Fetches a named asset into a folder and returns its path; raises when it cannot."""


def ultralytics_weights_dir() -> Path | None:
    """Ultralytics' weights folder, or ``None`` when Ultralytics is not installed."""
    try:
        from ultralytics.utils import SETTINGS
    except ImportError:
        return None
    return Path(SETTINGS["weights_dir"])


def download_with_ultralytics(name: str, folder: Path) -> Path:
    """Download an official Ultralytics asset such as ``yolov8n.pt`` into ``folder``."""
    try:
        from ultralytics.utils.downloads import attempt_download_asset
    except ImportError as error:
        raise ModelError(
            "downloading weights needs Ultralytics (pip install ultralytics)"
        ) from error
    folder.mkdir(parents=True, exist_ok=True)
    return Path(attempt_download_asset(folder / name))


def weights_dirs(ultralytics_dir: Path | None) -> list[Path]:
    """The folders a bare model name is looked up in, in order."""
    folders = [Path(os.environ[WEIGHTS_DIR_ENV])] if os.environ.get(WEIGHTS_DIR_ENV) else []
    if ultralytics_dir is not None:
        folders.append(ultralytics_dir)
    return [folder.expanduser() for folder in folders]


def resolve_weights(
    model: str,
    *,
    ultralytics_dir: Path | None = None,
    download: Downloader = download_with_ultralytics,
) -> Path:
    """Find the checkpoint ``model`` names.

    Args:
        model: a path, or a bare file name such as ``yolov8n.pt``.
        ultralytics_dir: Ultralytics' weights folder; by default read from its settings.
        download: fetches a bare name that no folder holds (tests pass a fake).

    Raises:
        ModelError: the file does not exist and could not be downloaded; the message says
            where it looked and how to pass a path.
    """
    if ultralytics_dir is None:
        ultralytics_dir = ultralytics_weights_dir()
    folders = weights_dirs(ultralytics_dir)
    path = Path(model).expanduser()
    if path.is_file():
        return path
    if path.exists():
        raise ModelError(f"model {model!r} is not a file")
    if path.name != model:
        raise ModelError(f"model file not found: {path}")

    for folder in folders:
        if (folder / model).is_file():
            return folder / model

    looked = [str(Path.cwd() / model), *(str(folder / model) for folder in folders)]
    target = folders[-1] if folders else Path.cwd()
    log.info("downloading %s into %s", model, target)
    try:
        downloaded = download(model, target)
    except Exception as error:
        raise ModelError(_not_found(model, looked, f"download failed: {error}")) from error
    if not downloaded.is_file():
        raise ModelError(_not_found(model, looked, "no download exists under that name"))
    return downloaded


def _not_found(model: str, looked: list[str], cause: str) -> str:
    return (
        f"model {model!r} not found: looked at {', '.join(looked)}; {cause}. "
        f"Pass the path of a .pt or .torchscript file (--model /path/to/{model}) "
        f"or put the file in ${WEIGHTS_DIR_ENV}."
    )
