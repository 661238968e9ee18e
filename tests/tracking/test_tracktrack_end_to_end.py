"""TrackTrack end to end against Ultralytics' ``model.track`` on the two TUD videos: the same
weights and settings, each tool decoding and detecting itself (Ultralytics hands TrackTrack
its second detection set, and so does tracklake: ``detection.recovery``), scored with
TrackEval. Combined HOTA within ``HOTA_TOLERANCE``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_runs import tracklake

from tracklake.eval.run_eval import score_run
from tracklake.eval.scores import score_results
from tracklake.io.mot_dataset import read_dataset
from tracklake.tracking import TrackerConfig

pytestmark = pytest.mark.slow

HOTA_TOLERANCE = 0.3
SETTINGS = {"conf": 0.3, "iou": 0.5, "classes": [0]}  # the brief's model.track call


def ultralytics_results(weights: Path, dataset: Path, folder: Path) -> dict[str, Path]:
    """``model.track(source=video, tracker="tracktrack.yaml")`` of each sequence's video,
    written as MOTChallenge result files."""
    from ultralytics import YOLO

    results = {}
    for sequence in read_dataset(dataset):
        yolo = YOLO(str(weights))  # a fresh tracker per video
        rows = []
        tracked = yolo.track(source=sequence.ref().path, tracker="tracktrack.yaml", stream=True,
                             verbose=False, device="cpu", **SETTINGS)  # fmt: skip
        for frame, result in enumerate(tracked):
            boxes = result.boxes
            if boxes.id is None:
                continue
            for (x1, y1, x2, y2), track_id, score in zip(
                boxes.xyxy.numpy(), boxes.id.numpy(), boxes.conf.numpy(), strict=True
            ):
                rows.append((frame + 1, track_id, x1, y1, x2 - x1, y2 - y1, score, -1, -1, -1))
        results[sequence.name] = folder / f"{sequence.name}.txt"
        np.savetxt(results[sequence.name], rows, fmt="%d,%d,%.2f,%.2f,%.2f,%.2f,%.4f,%d,%d,%d")
    return results


def combined_hota(table) -> float:
    return next(row["HOTA"] for row in table.to_pylist() if row["sequence"] == "COMBINED")


def test_tracktrack_scores_as_model_track_does(mot15_dataset, yolov8n_weights, tmp_path):
    # Ultralytics keeps a lost track track_buffer frames whatever the frame rate; tracklake
    # reads track_buffer as frames at track_buffer_fps, 30 by default (README, Trackers). At
    # the TUD videos' 25 fps both keep it 30 frames when track_buffer_fps is 25.
    fps = {sequence.info.fps for sequence in read_dataset(mot15_dataset)}
    assert len(fps) == 1
    tracker = TrackerConfig.of("tracktrack", track_buffer_fps=fps.pop())
    tracker_yaml = tmp_path / "tracktrack.yaml"
    tracker_yaml.write_text(yaml.safe_dump(tracker.to_dict()))
    out = tmp_path / "ours"
    result = tracklake(
        "track", str(mot15_dataset), "-o", str(out), "--tracker", str(tracker_yaml),
        "--model", str(yolov8n_weights), "--conf", str(SETTINGS["conf"]),
        "--iou", str(SETTINGS["iou"]), "--classes", "0", "--no-progress",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    ours = combined_hota(score_run(out, mot15_dataset).table)

    results = ultralytics_results(yolov8n_weights, mot15_dataset, tmp_path)
    theirs = combined_hota(score_results(read_dataset(mot15_dataset), results))

    assert theirs > 40  # a real tracker on real footage
    assert abs(ours - theirs) <= HOTA_TOLERANCE, (ours, theirs)
