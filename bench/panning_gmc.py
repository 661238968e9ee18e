"""Camera-motion compensation on a real panning camera: warps and tracks against Ultralytics.

The panning camera is a 1280x720 window sliding over the shared 1080p street clip (8 px right
and 4 px down a frame, one 64 px jump; tests/tracking/panning.py), with YOLOv8n's person
detections of each window as decoded for YOLO at imgsz 640. For each GMC method: how far
tracklake's warps lie from Ultralytics' GMC fed the same frames, from the known pan, and from
the warps of the window decoded for YOLO at imgsz 640 (640x360) and 320 (320x180). For each
tracker with GMC: track IDs and ID switches (a new ID taking over a person whose track just
ended) with and without compensation, whether the tracks are Ultralytics' (same detections
and frames), and IDs and ID switches fed the frames decoded at imgsz 640, as the pipeline
feeds them.

    .venv/bin/python bench/panning_gmc.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tracking"))  # the sequence the tests use
from panning import (  # noqa: E402
    CLIP,
    IMGSZ,
    JUMP_AT,
    MODEL_SCALES,
    centre_shifts,
    detect_people,
    id_switches,
    our_warps,
    panning_sequence,
    track_count,
    track_ours,
    track_ultralytics,
    ultralytics_warps,
)
from tracking_harness import assert_same_tracks  # noqa: E402

from tracklake.tracking import TrackerConfig  # noqa: E402

METHODS = ("sparseOptFlow", "orb", "ecc")
TRACKERS = ("botsort", "tracktrack", "deepocsort")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_shared = os.environ.get("TRACKLAKE_SHARED", REPO.parent / "shared")
    parser.add_argument("--shared", type=Path, default=Path(default_shared))
    args = parser.parse_args()

    sequence = panning_sequence(args.shared / "videos" / CLIP)
    detections = detect_people(sequence, args.shared / "models" / "yolov8n.pt")
    n = len(sequence.frames)
    print(f"{n} frames, {sum(map(len, detections)) / n:.1f} person detections a frame")
    print(
        f"{'method':14} {'|ours-ultra| max':>16} {'pan err median':>15} {'max':>6} "
        f"{'at jump':>8}"
        + "".join(f" {f'@{i} - full median':>18} {'max':>6}" for i in MODEL_SCALES)
    )
    for method in METHODS:
        ours = our_warps(method, sequence.frames, detections)
        theirs = ultralytics_warps(method, sequence.frames, detections)
        pan_error = np.linalg.norm(centre_shifts(ours[1:]) - sequence.pans(), axis=1)
        row = (
            f"{method:14} {np.abs(ours - theirs).max():16.2g} {np.median(pan_error):15.2f} "
            f"{pan_error.max():6.2f} {pan_error[JUMP_AT - 1]:8.2f}"
        )
        for frames in sequence.decoded.values():
            scaled = our_warps(method, frames, detections, scaled=True)
            apart = np.linalg.norm(centre_shifts(scaled) - centre_shifts(ours), axis=1)
            row += f" {np.median(apart):18.2f} {apart.max():6.2f}"
        print(row)
    print(
        f"\n{'tracker':11} {'gmc_method':14} {'IDs':>4} {'ID switches':>12} "
        f"{'= Ultralytics':>14} {'IDs, @640 frames':>19} {'switches':>9}"
    )
    for tracker_type in TRACKERS:
        for method in ("none", *METHODS):
            config = TrackerConfig.of(tracker_type, gmc_method=method)
            tracks = track_ours(config, sequence, detections)
            try:
                assert_same_tracks(tracks, track_ultralytics(config, sequence, detections))
                same = "yes"
            except AssertionError:
                same = "NO"
            pipeline = track_ours(config, sequence, detections, imgsz=IMGSZ)
            print(
                f"{tracker_type:11} {method:14} {track_count(tracks):4} "
                f"{id_switches(tracks, sequence.offsets):12} {same:>14} "
                f"{track_count(pipeline):19} {id_switches(pipeline, sequence.offsets):9}"
            )


if __name__ == "__main__":
    main()
