"""Time per frame of our trackers against Ultralytics' same trackers, on the same detections.

The detections: MOT17-04's pedestrian ground truth (1050 frames of a dense 1080p scene),
jittered, 10% dropped, false positives added, fixed seed (tests/tracking/tracking_harness.py).
Each tracker runs the whole sequence ``--repeats`` times, alternating ours and Ultralytics';
the best run counts. Memory: the peak of Python allocations (tracemalloc) during one run.
Every tracker runs at Ultralytics' defaults without camera-motion compensation (so Deep OC-SORT
without appearance).

    .venv/bin/python bench/trackers.py [--shared ../shared] [--repeats 5] [--trackers a,b]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tracking"))  # the detections the tests use
from tracking_harness import UltralyticsBoxes, mot17_detections, ultralytics_tracker  # noqa: E402

from tracklake.tracking import TrackerConfig, make_tracker  # noqa: E402
from tracklake.tracking.config import TRACKER_TYPES  # noqa: E402
from tracklake.types import Detections  # noqa: E402


def run_ours(config: TrackerConfig, frames: Sequence[Detections]) -> None:
    tracker = make_tracker(config, fps=30)
    for detections in frames:
        tracker.update(detections)


def run_ultralytics(config: TrackerConfig, frames: Sequence[Detections]) -> None:
    tracker = ultralytics_tracker(config)
    boxes = [UltralyticsBoxes.of(detections) for detections in frames]  # not timed: conversion
    for frame_boxes in boxes:
        tracker.update(frame_boxes, None)


def best_seconds(run: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_bytes(run: Callable[[], None]) -> int:
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_shared = os.environ.get("TRACKLAKE_SHARED", REPO.parent / "shared")
    parser.add_argument("--shared", type=Path, default=Path(default_shared))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trackers", default=",".join(TRACKER_TYPES), help="comma-separated")
    args = parser.parse_args()

    frames = mot17_detections(args.shared / "mot17" / "MOT17-04")
    n = len(frames)
    print(f"MOT17-04 jittered: {n} frames, {sum(map(len, frames)) / n:.1f} detections a frame")
    print(
        f"{'tracker':10} {'ours ms/frame':>14} {'ultralytics':>12} {'speed-up':>9} "
        f"{'ours peak MiB':>14} {'ultralytics':>12}"
    )
    for tracker_type in args.trackers.split(","):
        config = TrackerConfig.of(tracker_type, gmc_method="none")
        ours, theirs = partial(run_ours, config, frames), partial(run_ultralytics, config, frames)
        theirs()  # warm up: Ultralytics' imports
        ours_s, theirs_s = best_seconds(ours, args.repeats), best_seconds(theirs, args.repeats)
        print(
            f"{tracker_type:10} {1e3 * ours_s / n:14.3f} {1e3 * theirs_s / n:12.3f} "
            f"{theirs_s / ours_s:8.1f}x {peak_bytes(ours) / 2**20:14.2f} "
            f"{peak_bytes(theirs) / 2**20:12.2f}"
        )


if __name__ == "__main__":
    main()
