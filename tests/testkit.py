"""Helpers shared by test modules (import them as ``from testkit import ...``).

Not in conftest.py: several conftest modules exist, and ``from conftest import`` would pick
whichever pytest loaded first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from tracklake.config import JobConfig, PipelineConfig
from tracklake.io import layout
from tracklake.io.detection_store import SavedDetections, read_saved_detections
from tracklake.io.object_store import open_store
from tracklake.jobs.plan import CPU_DEFAULTS, TrackingPlan, plan_device

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("TRACKLAKE_SHARED", REPO_ROOT.parent / "shared")).resolve()


def ffmpeg(*args: str) -> None:
    """Run the ffmpeg binary that the imageio-ffmpeg wheel ships."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


MOT15_SEQUENCES = ("TUD-Campus", "TUD-Stadtmitte")


def link_sequence(root: Path, shared_dir: Path, name: str, video: bool = True) -> Path:
    """``root/<name>/`` as a MOTChallenge sequence folder: links to the shared seqinfo.ini and
    gt/gt.txt, and with ``video`` to the shared video named after the sequence."""
    folder = root / name
    (folder / "gt").mkdir(parents=True)
    (folder / "seqinfo.ini").symlink_to(shared_dir / "mot15" / name / "seqinfo.ini")
    (folder / "gt" / "gt.txt").symlink_to(shared_dir / "mot15" / name / "gt" / "gt.txt")
    if video:
        (folder / f"{name}.mp4").symlink_to(shared_dir / "videos" / f"{name}.mp4")
    return folder


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, size_bytes: int) -> Iterator[Path]:
    """A real file system of ``size_bytes`` mounted on ``folder`` (created) for the block,
    for tests of a full disk: ``RLIMIT_FSIZE`` gives EFBIG, not ENOSPC. Needs root (CI runs
    as root); skips the test otherwise."""
    import subprocess

    import pytest

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)], check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the file system of ``folder`` up to ``leave_bytes`` free; returns the filler."""
    import shutil

    filler = folder / "filler"
    free = shutil.disk_usage(folder).free
    with open(filler, "wb") as file:
        file.write(b"\0" * max(free - leave_bytes, 0))
    return filler


def cpu_plan(pipeline: PipelineConfig, videos_at_once: int = 1) -> TrackingPlan:
    """``pipeline`` as one CPU worker runs it, the user's choices kept and the device's
    defaults for the rest (``jobs.plan``)."""
    job = JobConfig(videos_per_worker=videos_at_once)
    return TrackingPlan.of(pipeline, plan_device(pipeline, job, CPU_DEFAULTS, torch_threads=1))


def tracks_path(out: str | Path, video_id: str) -> Path:
    """The local file of ``video_id``'s tracks in the run ``out``."""
    return Path(out) / layout.video_key(layout.TRACKS, video_id)


def detections_path(out: str | Path, video_id: str) -> Path:
    """The local file of ``video_id``'s saved detections in the run ``out``."""
    return Path(out) / layout.video_key(layout.DETECTIONS, video_id)


def camera_motion_path(detections_file: Path) -> Path:
    """The local file of the camera motion saved beside ``detections_file``."""
    out = detections_file.parent.parent
    return out / layout.camera_motion_key(f"{layout.DETECTIONS}/{detections_file.name}")


def read_saved(detections_file: Path) -> SavedDetections:
    """``read_saved_detections`` of a run's local ``detections/<video>.parquet``."""
    store = open_store(detections_file.parent.parent)
    return read_saved_detections(store, f"{layout.DETECTIONS}/{detections_file.name}")
