"""Frames per second of tracklake's batched detector against Ultralytics' ``model.predict``.

Both run the same weights on the same decoded frames, batch by batch, in one process; the
table gives frames/s and the ratio, then how our time splits between letterboxing, the
forward pass and NMS (plus conversion to ``Detections``).

    .venv/bin/python bench/detector.py --video ../shared/videos/TUD-Stadtmitte.mp4 --frames 64
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from tracklake.detection import DetectorConfig, load_detector
from tracklake.detection.nms import select
from tracklake.io.video import VideoDecoder

T = TypeVar("T")
SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(run: Callable[[], T], device: torch.device) -> tuple[T, float]:
    """``run()``'s result and its wall time in seconds, device work included."""
    synchronize(device)
    start = time.perf_counter()
    result = run()
    synchronize(device)
    return result, time.perf_counter() - start


def seconds(run: Callable[[], object], device: torch.device) -> float:
    return timed(run, device)[1]


def batches(frames: np.ndarray, size: int) -> list[np.ndarray]:
    return [frames[start : start + size] for start in range(0, len(frames), size)]


def frames_per_second(run: Callable[[np.ndarray], object], frames, batch, device) -> float:
    total = sum(seconds(lambda c=c: run(c), device) for c in batches(frames, batch))
    return len(frames) / total


def ultralytics_predict(yolo, config: DetectorConfig, device) -> Callable[[np.ndarray], object]:
    def predict(chunk: np.ndarray) -> None:
        yolo.predict(
            [frame[..., ::-1] for frame in chunk],  # Ultralytics reads numpy frames as BGR
            imgsz=config.imgsz,
            conf=config.conf,
            iou=config.iou,
            half=config.half,
            device=str(device),
            batch=config.batch,
            verbose=False,
        )

    return predict


@torch.inference_mode()
def stage_shares(detector, frames: np.ndarray, batch: int, device) -> dict[str, float]:
    """Seconds per frame in letterboxing, forward and NMS + output, over ``frames``."""
    model = detector._model
    letterbox = detector.letterbox(frames.shape[1:3])
    totals = {"preprocess": 0.0, "forward": 0.0, "nms": 0.0}
    for chunk in batches(frames, batch):
        images, took = timed(lambda c=chunk: letterbox.apply(c, device, detector._dtype), device)
        totals["preprocess"] += took
        (predictions, prototypes), took = timed(lambda i=images: model.forward(i), device)
        totals["forward"] += took

        def postprocess(predictions=predictions, prototypes=prototypes):
            rows = select(predictions, len(detector.class_names), detector._nms, model.end2end)
            return [
                detector._to_detections(r, letterbox, None if prototypes is None else prototypes[i])
                for i, r in enumerate(rows)
            ]

        totals["nms"] += seconds(postprocess, device)
    return {name: value / len(frames) for name, value in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=SHARED / "videos/TUD-Stadtmitte.mp4")
    parser.add_argument("--model", default=str(SHARED / "models/yolov8n.pt"))
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--half", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating runs of each; the best one counts"
    )
    args = parser.parse_args()

    from ultralytics import YOLO

    frames = next(VideoDecoder(args.video, num_threads=1).batches(args.frames)).frames
    count = len(frames)
    base = DetectorConfig(model=args.model, imgsz=args.imgsz, half=args.half, device=args.device)
    yolo = YOLO(args.model)

    detector = None
    print(f"{args.video.name}: {count} frames {frames.shape[2]}x{frames.shape[1]}, {args.model}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load {os.getloadavg()}")
    print("| batch | tracklake frames/s | Ultralytics frames/s | ratio |")
    print("|---:|---:|---:|---:|")
    for batch in args.batches:
        detector = load_detector(replace(base, batch=batch))
        device = detector._device
        runs = detector.detect, ultralytics_predict(yolo, replace(base, batch=batch), device)
        for run in runs:
            run(frames[:batch])  # warm-up
        # Alternating rounds, best of each: other work on a shared machine slows either side.
        best = [0.0, 0.0]
        for _ in range(args.rounds):
            for side, run in enumerate(runs):
                best[side] = max(best[side], frames_per_second(run, frames, batch, device))
        ours, theirs = best
        print(f"| {batch} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f}x |", flush=True)

    shares = stage_shares(detector, frames, args.batches[-1], device)
    total = sum(shares.values())
    print(f"\nbatch {args.batches[-1]} on {device}, ms per frame:")
    for name, value in shares.items():
        print(f"- {name}: {value * 1000:.1f} ms ({value / total:.0%})")


if __name__ == "__main__":
    main()
