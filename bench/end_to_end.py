"""tracklake track against Ultralytics' model.track on the same videos, in one run.

Same weights, imgsz, conf, iou, classes and tracker; Ultralytics gets one fresh tracker per
video (``persist=False``). Each side runs as its own process; reported: wall time, frames/s,
their ratio, the peak resident memory of each process tree, and HOTA / MOTA / IDF1 of both on
the TUD videos (MOT15 ground truth).

    .venv/bin/python bench/end_to_end.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tracklake.eval.scores import score_results
from tracklake.io.mot import export_mot
from tracklake.io.mot_dataset import read_dataset
from tracklake.io.store import tracks_path

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BIN = Path(sys.executable).parent
ULTRALYTICS_TRACK = Path(__file__).with_name("ultralytics_track.py")


def run_measured(command: list[str]) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run ``command``; return its result, wall seconds and the peak RSS of its process tree."""
    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{stderr[-3000:]}")
    return result, wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--videos", nargs="+", type=Path, default=sorted((SHARED / "videos").glob("*.mp4"))
    )
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n.pt"))
    parser.add_argument("--conf", default="0.3")
    parser.add_argument("--iou", default="0.5")
    parser.add_argument("--imgsz", default="640")
    parser.add_argument("--classes", default="0")
    parser.add_argument("--tracker", default="bytetrack")
    args = parser.parse_args()  # fmt: skip

    work = Path(tempfile.mkdtemp(prefix="tracklake-e2e-"))
    settings = ["--conf", args.conf, "--iou", args.iou, "--imgsz", args.imgsz,
                "--classes", args.classes, "--tracker", args.tracker]  # fmt: skip
    ours, ours_wall, ours_peak = run_measured(
        [str(BIN / "tracklake"), "track", *map(str, args.videos), "-o", str(work / "ours"),
         "--model", args.model, "--no-progress", "--overwrite", *settings]
    )  # fmt: skip
    frames = sum(
        int(line.split()[1]) for line in ours.stderr.splitlines() if line.startswith("frames:")
    )
    theirs, theirs_wall, theirs_peak = run_measured(
        [sys.executable, str(ULTRALYTICS_TRACK), args.model, str(work / "theirs"),
         *map(str, args.videos), *settings]
    )  # fmt: skip
    theirs_frames = int(theirs.stdout.strip().splitlines()[-1])

    print(f"{len(args.videos)} videos, {frames} frames (Ultralytics: {theirs_frames}); "
          f"conf {args.conf}, iou {args.iou}, imgsz {args.imgsz}, classes {args.classes}, "
          f"{args.tracker}; {os.cpu_count()} CPUs, CPU inference\n")  # fmt: skip
    print("| | wall s | frames/s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    print(f"| tracklake track | {ours_wall:.1f} | {frames / ours_wall:.2f} | {ours_peak >> 20} |")
    print(f"| Ultralytics model.track | {theirs_wall:.1f} | {theirs_frames / theirs_wall:.2f} "
          f"| {theirs_peak >> 20} |")  # fmt: skip
    speedup = (frames / ours_wall) / (theirs_frames / theirs_wall)
    print(
        f"| ratio tracklake / Ultralytics | | {speedup:.2f}x | {ours_peak / theirs_peak:.2f}x |\n"
    )

    print("| sequence | tracker | HOTA | DetA | AssA | MOTA | IDF1 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    sequences = [
        s for s in read_dataset(SHARED / "mot15") if s.name in {v.stem for v in args.videos}
    ]
    for sequence in sequences:
        export_mot(
            tracks_path(work / "ours", sequence.name), work / "ours-mot" / f"{sequence.name}.txt"
        )
    for label, folder in (("tracklake", work / "ours-mot"), ("Ultralytics", work / "theirs")):
        results = {s.name: folder / f"{s.name}.txt" for s in sequences}
        for row in score_results(sequences, results).to_pylist():
            print(f"| {row['sequence']} | {label} | {row['HOTA']:.1f} | {row['DetA']:.1f} "
                  f"| {row['AssA']:.1f} | {row['MOTA']:.1f} | {row['IDF1']:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
