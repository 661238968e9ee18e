"""What TrackTrack's second detection set costs the detector: the same frames detected with
and without ``recover_suppressed`` (a second NMS at IoU 0.95 and the duplicate check,
``detection.recovery``), alternating, in one process.

    .venv/bin/python bench/recovered_set.py [--video ../shared/videos/TUD-Stadtmitte.mp4]
        [--frames 96] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from tracklake.detection import DetectorConfig, load_detector
from tracklake.io.video import VideoDecoder
from tracklake.types import RECOVERED

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "videos/TUD-Stadtmitte.mp4")
    parser.add_argument("--model", default=str(SHARED / "models/yolov8n.pt"))
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    frames = next(VideoDecoder(args.video).batches(args.frames)).frames
    base = DetectorConfig(model=args.model, device="cpu", conf=0.3, iou=0.5, classes=(0,))
    detectors = {
        "without": load_detector(base),
        "with the second set": load_detector(replace(base, recover_suppressed=True)),
    }
    seconds: dict[str, list[float]] = {name: [] for name in detectors}
    recovered = 0
    for _ in range(args.repeats):
        for name, detector in detectors.items():
            started = time.perf_counter()
            found = detector.detect(frames)
            seconds[name].append(time.perf_counter() - started)
            if RECOVERED in found[0].extras:
                recovered = sum(int(np.count_nonzero(d.extras[RECOVERED])) for d in found)
    print(f"{len(frames)} frames of {args.video.name}, batch {detectors['without'].batch}, "
          f"{args.repeats} alternating runs, load average {os.getloadavg()[0]:.2f}; "
          f"{recovered} boxes recovered\n")  # fmt: skip
    print("| detector | median ms/frame | runs (s) |")
    print("|---|---:|---|")
    for name, runs in seconds.items():
        per_frame = 1000 * statistics.median(runs) / len(frames)
        print(f"| {name} | {per_frame:.1f} | {' '.join(f'{s:.2f}' for s in runs)} |")


if __name__ == "__main__":
    main()
