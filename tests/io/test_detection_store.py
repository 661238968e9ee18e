"""Saved detections written and read back without a model: boxes, embeddings (float16) and
camera-motion warps, and the errors that name a broken file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from testkit import camera_motion_path, read_saved

from tracklake.io.detection_store import DetectionFileWriter
from tracklake.io.footer import Footer
from tracklake.types import Detections

CLASS_NAMES = {0: "person"}


def frames(count: int, rng: np.random.Generator) -> list[tuple[Detections, np.ndarray]]:
    """``count`` frames of 0-3 detections with 8-wide embeddings, and a warp each."""
    made = []
    for _ in range(count):
        n = int(rng.integers(0, 4))
        corner = rng.uniform(0, 500, (n, 2))
        boxes = np.column_stack([corner, corner + 50]).astype(np.float32)
        extras = {"embeddings": rng.normal(size=(n, 8)).astype(np.float32)}
        detections = Detections(boxes, rng.uniform(0.06, 1, n), np.zeros(n), extras)
        warp = np.eye(2, 3) + rng.normal(0, 0.01, (2, 3))
        made.append((detections, warp))
    return made


def write(out, made, camera_motion="sparseOptFlow", vid_stride=1):
    footer = Footer(video_id="clip", vid_stride=vid_stride)
    writer = DetectionFileWriter(out, "clip", CLASS_NAMES, 0.25, 30.0, footer, camera_motion)
    with writer:
        for i, (detections, warp) in enumerate(made):
            writer.append(i * vid_stride, i * vid_stride / 30, detections, warp)
        writer.commit(footer, frames=len(made))
    return Path(writer.location)


def test_embeddings_and_warps_come_back_frame_by_frame(tmp_path):
    made = frames(20, np.random.default_rng(0))
    saved = read_saved(write(tmp_path, made, vid_stride=2))
    assert saved.has_embeddings and saved.camera_motion == "sparseOptFlow"
    np.testing.assert_array_equal(saved.camera_warps, np.stack([w for _, w in made]))
    read = list(saved.frames_with_detections(0.05))
    assert [frame for frame, _, _ in read] == list(range(0, 40, 2))
    for (_, _, back), (written, _) in zip(read, made, strict=True):
        np.testing.assert_array_equal(back.boxes, written.boxes)
        embeddings = back.extras["embeddings"]
        assert embeddings.dtype == np.float32 and embeddings.shape == (len(written), 8)
        np.testing.assert_array_equal(
            embeddings, written.extras["embeddings"].astype(np.float16).astype(np.float32)
        )


def test_without_appearance_or_camera_motion_neither_is_written(tmp_path):
    made = [
        (Detections(d.boxes, d.scores, d.class_ids), w)
        for d, w in frames(5, np.random.default_rng(1))
    ]
    path = write(tmp_path, made, camera_motion=None)
    saved = read_saved(path)
    assert not saved.has_embeddings and saved.camera_warps is None
    assert not camera_motion_path(path).parent.exists()


def test_a_frame_without_its_warp_is_refused(tmp_path):
    writer = DetectionFileWriter(tmp_path, "clip", CLASS_NAMES, 0.25, 30.0, Footer(), "orb")
    with pytest.raises(ValueError, match="frame 3 has no camera-motion warp"), writer:
        writer.append(3, 0.1, Detections.empty())
    assert not list(tmp_path.rglob("*.parquet*"))  # both temporary files are gone


def test_a_missing_or_short_camera_motion_file_names_the_file(tmp_path):
    path = write(tmp_path, frames(6, np.random.default_rng(2)))
    warps = camera_motion_path(path)
    moved = warps.with_name("elsewhere.parquet")
    warps.rename(moved)
    with pytest.raises(ValueError, match=f"{warps}: missing"):
        read_saved(path)
    write(tmp_path / "short", frames(4, np.random.default_rng(2)))
    (tmp_path / "short" / "detections" / "camera_motion" / "clip.parquet").rename(warps)
    with pytest.raises(ValueError, match="4 camera-motion warps for 6 frames"):
        read_saved(path)
