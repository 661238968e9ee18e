"""BoT-SORT with appearance (``with_reid: true``, ``model: auto``) end to end: our detector's
embeddings and our tracker give the tracks of Ultralytics' ``YOLO.track`` on the same frames,
and ``tracklake track`` runs it from the command line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from cli_runs import tracklake
from scipy.optimize import linear_sum_assignment
from tracking_harness import assert_same_tracks, run_ours, run_ultralytics

from tracklake.detection import DetectorConfig, load_detector
from tracklake.io.video import VideoDecoder
from tracklake.tracking import TrackerConfig
from tracklake.types import Detections, Tracks

pytestmark = pytest.mark.slow

# Ultralytics' BoT-SORT defaults with appearance on; no camera-motion compensation (the TUD
# cameras stand still).
REID = TrackerConfig(tracker_type="botsort", gmc_method="none", with_reid=True)
TRACK_CONF = 0.1  # YOLO.track's default confidence
ULTRALYTICS_FPS = 30.0  # Ultralytics counts track_buffer in frames: 30 fps keeps it so


@pytest.fixture(scope="module", params=["TUD-Campus", "TUD-Stadtmitte"])
def video(request, shared_videos) -> np.ndarray:
    """A TUD video's ``(N, 480, 640, 3)`` uint8 RGB frames."""
    decoder = VideoDecoder(shared_videos / f"{request.param}.mp4", num_threads=1)
    frames = np.concatenate([batch.frames for batch in decoder.batches(64)])
    return frames


@pytest.fixture(scope="module")
def detections(video, yolov8n_weights) -> list[Detections]:
    """Our detections of ``video``'s frames, each with its embedding."""
    config = DetectorConfig(
        model=str(yolov8n_weights), device="cpu", conf=TRACK_CONF, embeddings="auto"
    )
    return load_detector(config).detect(video)


def ultralytics_track(
    weights: Path, frames: np.ndarray, config: TrackerConfig, folder: Path
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each frame's tracked ``(M, 4)`` boxes and ``(M,)`` track IDs from ``YOLO.track``
    given the RGB ``frames`` one by one (as BGR)."""
    from ultralytics import YOLO

    tracker_yaml = folder / "tracker.yaml"
    tracker_yaml.write_text(yaml.safe_dump(config.to_dict()))
    yolo = YOLO(str(weights))
    tracked = []
    for frame in frames:
        (result,) = yolo.track(frame[..., ::-1], persist=True, tracker=str(tracker_yaml),
                               conf=TRACK_CONF, device="cpu", verbose=False)  # fmt: skip
        boxes = result.boxes
        if boxes.id is None:  # no confirmed track: YOLO.track leaves the detections untracked
            tracked.append((np.empty((0, 4)), np.empty(0, dtype=int)))
        else:
            tracked.append((boxes.xyxy.numpy(), boxes.id.numpy().astype(int)))
    return tracked


def assert_same_boxes_and_ids(
    ours: list[Tracks], theirs: list[tuple[np.ndarray, np.ndarray]], frame_size: tuple[int, int]
) -> None:
    """Frame by frame the same boxes (ours clipped to the frame, as Ultralytics' results
    clip theirs) to a hundredth of a pixel, and track IDs that correspond one to one."""
    height, width = frame_size
    our_to_their: dict[int, int] = {}
    their_to_our: dict[int, int] = {}
    for frame, (mine, (boxes, ids)) in enumerate(zip(ours, theirs, strict=True)):
        assert len(mine) == len(boxes), frame
        clipped = np.clip(mine.boxes, 0, [width, height, width, height])
        distance = np.abs(clipped[:, None] - boxes[None]).max(-1)
        rows, columns = linear_sum_assignment(distance)
        assert (distance[rows, columns] < 0.01).all(), frame
        for our_id, their_id in zip(
            mine.track_ids[rows].tolist(), ids[columns].tolist(), strict=True
        ):
            assert our_to_their.setdefault(our_id, their_id) == their_id, (frame, our_id)
            assert their_to_our.setdefault(their_id, our_id) == our_id, (frame, their_id)


def test_same_tracks_as_yolo_track(video, detections, yolov8n_weights, tmp_path):
    ours = run_ours(REID, detections, fps=ULTRALYTICS_FPS)
    theirs = ultralytics_track(yolov8n_weights, video, REID, tmp_path)

    assert sum(map(len, ours)) > 5 * len(ours)
    assert_same_boxes_and_ids(ours, theirs, video.shape[1:3])
    # Appearance decides some matches here: without it the IDs differ.
    without = run_ours(dataclasses.replace(REID, with_reid=False), detections, ULTRALYTICS_FPS)
    assert any(
        not np.array_equal(a.track_ids, b.track_ids) for a, b in zip(ours, without, strict=True)
    )


def test_same_tracks_as_ultralytics_botsort_on_our_embeddings(detections):
    """Ultralytics' tracker fed our detections and embeddings: exactly our tracks."""
    assert_same_tracks(run_ours(REID, detections), run_ultralytics(REID, detections))


def test_with_reid_from_the_command_line(shared_videos, yolov8n_weights, tmp_path):
    tracker_yaml = tmp_path / "botsort-reid.yaml"
    tracker_yaml.write_text(yaml.safe_dump(REID.to_dict()))
    out = tmp_path / "out"
    video = shared_videos / "TUD-Campus.mp4"

    result = tracklake("track", str(video), "-o", str(out), "--model", str(yolov8n_weights),
                       "--tracker", str(tracker_yaml), "--no-progress")  # fmt: skip

    assert result.returncode == 0, result.stderr
    table = pq.read_table(out / "tracks" / "TUD-Campus.parquet")
    assert not any("embedding" in name for name in table.column_names)
    # The tracks the library gives: the detector with embeddings, BoT-SORT with appearance.
    config = DetectorConfig(model=str(yolov8n_weights), device="cpu", embeddings="auto")
    decoder = VideoDecoder(video, num_threads=1)
    frames = np.concatenate([batch.frames for batch in decoder.batches(64)])
    expected = run_ours(REID, load_detector(config).detect(frames), fps=decoder.info.fps)
    expected_rows = sorted(
        (frame, *box) for frame, tracks in enumerate(expected) for box in tracks.boxes.tolist()
    )
    columns = [table[name].to_numpy() for name in ("frame", "x1", "y1", "x2", "y2")]
    rows = sorted(zip(*(column.tolist() for column in columns), strict=True))
    assert len(rows) == len(expected_rows) > 300
    np.testing.assert_allclose(np.array(rows), np.array(expected_rows), atol=1e-3)
    ids = np.concatenate([tracks.track_ids for tracks in expected])
    assert len(np.unique(table["track_id"].to_numpy())) == len(np.unique(ids))
