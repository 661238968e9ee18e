"""Fixtures shared by every test module: the real test material in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
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


def _ffmpeg(*args: str) -> None:
    """Run the ffmpeg binary that the imageio-ffmpeg wheel ships."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


def _first_half(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.fixture(scope="session")
def bad_videos(tmp_path_factory: pytest.TempPathFactory, shared_videos: Path) -> dict[str, Path]:
    """Broken and unusual video files made from a real video, by name.

    ``empty``, ``random``, ``folder`` (a directory named x.mp4), ``index_at_end_cut``
    (an mp4 cut in half whose index was at the end), ``index_at_front_cut`` (cut in half,
    index at the front: decodes part way), ``audio_only``, ``vp9`` (a good VP9 webm),
    ``vfr`` (a good variable-frame-rate mp4: 30 frames at 25 fps, then 41 at 0.12 s apart).
    """
    folder = tmp_path_factory.mktemp("bad-videos")
    source = shared_videos / "TUD-Campus.mp4"
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "random.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    (folder / "x.mp4").mkdir()
    _ffmpeg("-i", str(source), "-c", "copy", str(folder / "index-at-end.mp4"))
    _ffmpeg("-i", str(source), "-c", "copy", "-movflags", "+faststart", str(folder / "fs.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(folder / "audio-only.mp4"))
    _ffmpeg(
        "-i", str(source), "-c:v", "libvpx-vp9", "-b:v", "300k",
        "-deadline", "realtime", "-cpu-used", "8", str(folder / "vp9.webm"),
    )  # fmt: skip
    _ffmpeg(
        "-i", str(source), "-vf", "setpts='if(lt(N,30),N*0.04,1.2+(N-30)*0.12)/TB'",
        "-fps_mode", "vfr", "-c:v", "libx264", str(folder / "vfr.mp4"),
    )  # fmt: skip
    cut = folder / "cut"
    cut.mkdir()
    videos = {
        "empty": folder / "empty.mp4",
        "random": folder / "random.mp4",
        "folder": folder / "x.mp4",
        "index_at_end_cut": _first_half(folder / "index-at-end.mp4", cut / "index-at-end.mp4"),
        "index_at_front_cut": _first_half(folder / "fs.mp4", cut / "index-at-front.mp4"),
        "audio_only": folder / "audio-only.mp4",
        "vp9": folder / "vp9.webm",
        "vfr": folder / "vfr.mp4",
    }
    return videos
