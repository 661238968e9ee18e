"""Tracking accuracy of frames scaled while decoding against full-size frames scaled by the
detector (``--scale-at decode`` against ``--scale-at model``), on the TUD videos.

Runs ``tracklake track`` on TUD-Campus and TUD-Stadtmitte (640x480, MOT15 ground truth) once
per imgsz and scaling path, with the same weights and settings, and scores each run with
TrackEval. At ``--imgsz 320`` the frames are scaled (640x480 to 320x240), by FFmpeg or by
the detector; at 640 they are not, so both paths see the same pixels. Goal (issue 10): HOTA
of the two paths within 0.3 of each other.

    .venv/bin/python bench/scale_at_accuracy.py        # about 4 minutes on 2 CPUs
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tracklake.eval.scores import score_results
from tracklake.io import layout
from tracklake.io.mot import export_mot
from tracklake.io.mot_dataset import read_dataset

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
TRACKLAKE = Path(sys.executable).parent / "tracklake"


def combined_scores(out: Path, work: Path) -> dict[str, float]:
    """HOTA, MOTA and IDF1 over both sequences of the run in ``out``."""
    sequences = read_dataset(SHARED / "mot15")
    results = {}
    for sequence in sequences:
        results[sequence.name] = work / f"{sequence.name}.txt"
        export_mot(out / layout.video_key(layout.TRACKS, sequence.name), results[sequence.name])
    rows = {row["sequence"]: row for row in score_results(sequences, results).to_pylist()}
    return {key: rows["COMBINED"][key] for key in ("HOTA", "MOTA", "IDF1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n.pt"))
    parser.add_argument("--imgsz", nargs="+", default=["320", "640"])
    parser.add_argument("--tracker", default="bytetrack")
    args = parser.parse_args()
    videos = [str(SHARED / "videos" / f"{name}.mp4") for name in ("TUD-Campus", "TUD-Stadtmitte")]
    work = Path(tempfile.mkdtemp(prefix="tracklake-scale-at-"))

    print(f"TUD-Campus + TUD-Stadtmitte, {Path(args.model).name}, conf 0.3, iou 0.5, person, "
          f"{args.tracker}\n")  # fmt: skip
    print("| imgsz | scale at | HOTA | MOTA | IDF1 |")
    print("|---:|---|---:|---:|---:|")
    for imgsz in args.imgsz:
        for scale_at in ("decode", "model"):
            out = work / f"{imgsz}-{scale_at}"
            subprocess.run(
                [str(TRACKLAKE), "track", *videos, "-o", str(out), "--model", args.model,
                 "--imgsz", imgsz, "--scale-at", scale_at, "--conf", "0.3", "--iou", "0.5",
                 "--classes", "0", "--tracker", args.tracker, "--no-progress"],
                check=True, capture_output=True,
            )  # fmt: skip
            scores = combined_scores(out, out / "mot")
            print(f"| {imgsz} | {scale_at} | {scores['HOTA']:.2f} | {scores['MOTA']:.2f} "
                  f"| {scores['IDF1']:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
