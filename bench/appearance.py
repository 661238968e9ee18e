"""What appearance (BoT-SORT's ``with_reid``) costs: detector and tracker frames/s with
embeddings off, from the detector's own feature maps (``model: auto``), and from a separate
ReID checkpoint run on the crops (``--reid``).

Each setting runs over the same decoded frames, in turns, ``--repeats`` times; the table gives
the median frames/s of the detector (embeddings included) and of BoT-SORT (no camera-motion
compensation) on its output, and each relative to appearance off.

    .venv/bin/python bench/appearance.py --frames 96 --repeats 3
    .venv/bin/python bench/appearance.py --reid /path/to/reid-cls.pt   # adds a ReID row
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from tracklake.detection import DetectorConfig, load_detector
from tracklake.io.video import VideoDecoder
from tracklake.tracking import TrackerConfig, make_tracker

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def detector_rate(detector, frames: np.ndarray) -> tuple[float, list]:
    """Frames/s of ``detector`` over ``frames`` in its batches, and its detections."""
    start = time.perf_counter()
    detections = detector.detect(frames)
    return len(frames) / (time.perf_counter() - start), detections


def tracker_rate(config: TrackerConfig, detections: list, fps: float) -> float:
    tracker = make_tracker(config, fps)
    start = time.perf_counter()
    for found in detections:
        tracker.update(found)
    return len(detections) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "videos/TUD-Stadtmitte.mp4")
    parser.add_argument("--model", default=str(SHARED / "models/yolov8n.pt"))
    parser.add_argument("--reid", help="a .pt ReID (classification) checkpoint")
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--conf", type=float, default=0.1)
    args = parser.parse_args()

    decoder = VideoDecoder(args.video, num_threads=1)
    frames = np.concatenate([batch.frames for batch in decoder.batches(32)])[: args.frames]
    base = DetectorConfig(model=args.model, device=args.device, conf=args.conf)
    settings = {"off": None, "auto": "auto"} | ({"ReID checkpoint": args.reid} if args.reid else {})
    detectors = {name: load_detector(replace(base, embeddings=e)) for name, e in settings.items()}
    tracker = TrackerConfig(tracker_type="botsort", gmc_method="none")
    rates: dict[str, dict[str, list[float]]] = {n: {"det": [], "track": []} for n in settings}
    for _ in range(args.repeats):
        for name, detector in detectors.items():
            rate, detections = detector_rate(detector, frames)
            rates[name]["det"].append(rate)
            config = replace(tracker, with_reid=settings[name] is not None)
            rates[name]["track"].append(tracker_rate(config, detections, decoder.info.fps))

    print(f"{args.video.name}, {len(frames)} frames, conf {args.conf}, device {args.device}, "
          f"{torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs; medians of "
          f"{args.repeats} runs\n")  # fmt: skip
    print("| embeddings | detector frames/s | vs off | BoT-SORT frames/s | vs off |")
    print("|---|---:|---:|---:|---:|")
    off = {key: statistics.median(values) for key, values in rates["off"].items()}
    for name, values in rates.items():
        det, track = statistics.median(values["det"]), statistics.median(values["track"])
        print(f"| {name} | {det:.1f} | {det / off['det']:.2f}x | {track:.0f} "
              f"| {track / off['track']:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
