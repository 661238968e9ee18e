"""Fixtures shared by every test module: the real test material in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("TRACKLAKE_SHARED", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: the real videos, weights and ground truth (see its README.md)."""
    if not (SHARED_DIR / "videos").is_dir():
        raise RuntimeError(
            f"test material not found at {SHARED_DIR}: set TRACKLAKE_SHARED to the shared/ folder"
        )
    return SHARED_DIR


@pytest.fixture(scope="session")
def shared_videos(shared_dir: Path) -> Path:
    return shared_dir / "videos"


@pytest.fixture(scope="session")
def yolov8n_weights(shared_dir: Path) -> Path:
    return shared_dir / "models" / "yolov8n.pt"
