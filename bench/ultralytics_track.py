"""Ultralytics' own tracking of each video, written as MOTChallenge files: the baseline.

    python bench/ultralytics_track.py WEIGHTS OUT_DIR --conf 0.3 --iou 0.5 ... VIDEO...

One ``model.track(source=video, persist=False)`` per video, so each video gets a fresh
tracker. Prints the number of frames tracked (the last line of stdout), and on stderr
``frames: N in S s``, S the seconds spent in ``model.track`` (its predictor's set-up and
warm-up on the first call included; reading the weights and importing not).

    python bench/ultralytics_track.py WEIGHTS OUT --device cuda --half VIDEO...   # on a GPU
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ultralytics import YOLO


def mot_rows(results) -> tuple[int, list[str]]:
    """Frames seen and ``frame,id,x,y,w,h,score,-1,-1,-1`` rows of one video's results."""
    frames, rows = 0, []
    for frame, result in enumerate(results):
        frames += 1
        boxes = result.boxes
        if boxes.id is None:
            continue
        for (x1, y1, x2, y2), track_id, score in zip(
            boxes.xyxy.tolist(), boxes.id.int().tolist(), boxes.conf.tolist(), strict=True
        ):
            rows.append(
                f"{frame + 1},{track_id},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},"
                f"{score:.4f},-1,-1,-1"
            )
    return frames, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights")
    parser.add_argument("out", type=Path)
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--conf", type=float, default=0.3)
    parser.add_argument("--iou", type=float, default=0.5)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--classes", default="0")
    parser.add_argument("--tracker", default="bytetrack")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--half", action="store_true", help="float16 (a GPU only)")
    args = parser.parse_args()

    model = YOLO(args.weights)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    started = time.perf_counter()
    for video in args.videos:
        results = model.track(
            source=str(video), conf=args.conf, iou=args.iou, imgsz=args.imgsz,
            classes=[int(c) for c in args.classes.split(",")], tracker=f"{args.tracker}.yaml",
            persist=False, stream=True, verbose=False, device=args.device, half=args.half,
        )  # fmt: skip
        frames, rows = mot_rows(results)
        total += frames
        (args.out / f"{video.stem}.txt").write_text("".join(f"{row}\n" for row in rows))
    print(f"frames: {total} in {time.perf_counter() - started:.3f} s", file=sys.stderr)
    print(total)


if __name__ == "__main__":
    main()
