"""tracklake track against Ultralytics' model.track on the same videos: speed and memory.

Same weights, imgsz, conf, iou, classes and tracker; Ultralytics gets one fresh tracker per
video (``persist=False``). Each set of videos (default: the two TUD videos at 640x480, and
the 1080p street) runs once through ``tracklake track`` and once through
``bench/ultralytics_track.py``, each as its own process tree. Reported: wall time (start-up
included), frames/s and their ratio, the peak summed PSS of each whole process tree (Ray's
processes included; see ``process_memory.py``) and its ratio, then HOTA / MOTA / IDF1 of
both on the TUD videos (MOT15 ground truth).

    .venv/bin/python bench/end_to_end.py                      # about 4 minutes on 2 CPUs
    .venv/bin/python bench/end_to_end.py --set clip=street-8frames-mpeg4.mp4   # start-up
    .venv/bin/python bench/end_to_end.py --tracklake-model /tmp/onnx/yolov8n.onnx  # ONNX

(the ONNX export of the shared weights: ``yolo export model=yolov8n.pt format=onnx
dynamic=True simplify=False``, made in a copy's folder)

Goal (issue 10): >= 1.0x Ultralytics' frames/s and <= 2x its peak PSS on each set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from process_memory import measure, measure_with_ray, megabytes

from tracklake.eval.scores import score_results
from tracklake.io import layout
from tracklake.io.mot import export_mot
from tracklake.io.mot_dataset import read_dataset

SHARED = Path(os.environ.get("TRACKLAKE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
BIN = Path(sys.executable).parent
ULTRALYTICS_TRACK = Path(__file__).with_name("ultralytics_track.py")
DEFAULT_SETS = ["TUD=TUD-Campus.mp4,TUD-Stadtmitte.mp4", "1080p=pedestrians-1080p.mp4"]


def video_set(text: str) -> tuple[str, list[Path]]:
    """``NAME=VIDEO,VIDEO``; names without a folder are looked up in the shared videos."""
    name, _, videos = text.partition("=")
    return name, [Path(v) if "/" in v else SHARED / "videos" / v for v in videos.split(",")]


def run_set(name: str, videos: list[Path], args: argparse.Namespace, work: Path) -> dict:
    """Both trackers over ``videos``; their frames, wall seconds and peak PSS."""
    settings = ["--conf", args.conf, "--iou", args.iou, "--imgsz", args.imgsz,
                "--classes", args.classes, "--tracker", args.tracker]  # fmt: skip
    ours = measure_with_ray(
        [str(BIN / "tracklake"), "track", *map(str, videos), "-o", str(work / name / "ours"),
         "--model", args.tracklake_model or args.model, "--no-progress", "--overwrite",
         *settings]
    ).check()  # fmt: skip
    theirs = measure(
        [sys.executable, str(ULTRALYTICS_TRACK), args.model, str(work / name / "theirs"),
         *map(str, videos), *settings]
    ).check()  # fmt: skip
    return {
        "frames": sum(int(line.split()[1]) for line in ours.stderr.splitlines()
                      if line.startswith("frames:")),
        "theirs_frames": int(theirs.stdout.strip().splitlines()[-1]),
        "ours": ours,
        "theirs": theirs,
    }  # fmt: skip


def print_scores(work: Path, sets: dict[str, list[Path]]) -> None:
    """HOTA and friends of both trackers on the videos that have MOT15 ground truth."""
    print("| sequence | tracker | HOTA | DetA | AssA | MOTA | IDF1 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, videos in sets.items():
        sequences = [
            s for s in read_dataset(SHARED / "mot15") if s.name in {v.stem for v in videos}
        ]
        for sequence in sequences:
            export_mot(work / name / "ours" / layout.video_key(layout.TRACKS, sequence.name),
                       work / name / "ours-mot" / f"{sequence.name}.txt")  # fmt: skip
        for label, folder in (("tracklake", "ours-mot"), ("Ultralytics", "theirs")):
            results = {s.name: work / name / folder / f"{s.name}.txt" for s in sequences}
            for row in score_results(sequences, results).to_pylist() if sequences else []:
                print(f"| {row['sequence']} | {label} | {row['HOTA']:.1f} | {row['DetA']:.1f} "
                      f"| {row['AssA']:.1f} | {row['MOTA']:.1f} | {row['IDF1']:.1f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        metavar="NAME=VIDEO,...",
        help=f"videos run together (repeatable); default: {' '.join(DEFAULT_SETS)}",
    )
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n.pt"))
    parser.add_argument("--conf", default="0.3")
    parser.add_argument("--iou", default="0.5")
    parser.add_argument("--imgsz", default="640")
    parser.add_argument(
        "--tracklake-model",
        help="a model for tracklake only, e.g. an ONNX export of --model (Ultralytics keeps "
        "--model): measures tracklake's optional CPU runtime against model.track",
    )
    parser.add_argument("--classes", default="0")
    parser.add_argument("--tracker", default="bytetrack")
    args = parser.parse_args()  # fmt: skip
    sets = dict(video_set(text) for text in args.sets or DEFAULT_SETS)

    work = Path(tempfile.mkdtemp(prefix="tracklake-e2e-"))
    results = {name: run_set(name, videos, args, work) for name, videos in sets.items()}

    print(f"conf {args.conf}, iou {args.iou}, imgsz {args.imgsz}, classes {args.classes}, "
          f"{args.tracker}; {os.cpu_count()} CPUs, CPU inference; wall time includes start-up; "
          "memory is the peak summed PSS of each process tree\n")  # fmt: skip
    print(
        "| videos | frames | tracklake frames/s | Ultralytics frames/s | speed ratio "
        "| tracklake peak PSS MB | Ultralytics peak PSS MB | PSS ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ours_rate = r["frames"] / r["ours"].wall_s
        theirs_rate = r["theirs_frames"] / r["theirs"].wall_s
        frames = str(r["frames"]) if r["frames"] == r["theirs_frames"] else (
            f"{r['frames']} ({r['theirs_frames']})")  # fmt: skip
        print(f"| {name} | {frames} | {ours_rate:.2f} | {theirs_rate:.2f} "
              f"| {ours_rate / theirs_rate:.2f}x | {megabytes(r['ours'].peak_pss)} "
              f"| {megabytes(r['theirs'].peak_pss)} "
              f"| {r['ours'].peak_pss / r['theirs'].peak_pss:.2f}x |")  # fmt: skip
    print()
    print_scores(work, sets)


if __name__ == "__main__":
    main()
