"""HOTA / MOTA / IDF1 of each tracker, with its defaults and tuned, beside Ultralytics' trackers
on the same saved detections, on the shared MOT15 videos.

    .venv/bin/tracklake track DATASET -o RUN --classes 0 --save-detections --model yolov8n.pt
    .venv/bin/python bench/tracker_scores.py RUN DATASET --trials 20

DATASET is the TUD sequences as a MOTChallenge dataset (seqinfo.ini, gt/gt.txt and the video
in each sequence folder). BoT-SORT runs with ``gmc_method: none`` (saved detections have no
frames). Ultralytics' tracker gets the same detections (above the run's conf) and settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tracking"))
from tracking_harness import run_ultralytics  # noqa: E402

from tracklake.eval.run_eval import score_run  # noqa: E402
from tracklake.eval.scores import COMBINED, score_results  # noqa: E402
from tracklake.io.detection_store import read_saved_detections, saved_detection_files  # noqa: E402
from tracklake.io.mot_dataset import read_dataset  # noqa: E402
from tracklake.jobs.retrack import retrack_video  # noqa: E402
from tracklake.jobs.tune import tune_tracker  # noqa: E402
from tracklake.tracking import load_tracker_config  # noqa: E402


def combined(table) -> dict:
    return next(row for row in table.to_pylist() if row["sequence"] == COMBINED)


def ours(saved, dataset, config) -> dict:
    with tempfile.TemporaryDirectory() as out:
        for video in saved:
            retrack_video(video, out, config)
        return combined(score_run(out, dataset).table)


def ultralytics(saved, dataset, config) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for video in saved:
            frames = [d for _, _, d in video.frames_with_detections(video.conf)]
            rows = [
                f"{i + 1},{int(t[4])},{t[0]:.2f},{t[1]:.2f},{t[2] - t[0]:.2f},{t[3] - t[1]:.2f},"
                f"{t[5]:.4f},-1,-1,-1"
                for i, tracks in enumerate(run_ultralytics(config, frames))
                for t in tracks
            ]
            results[video.video_id] = Path(folder) / f"{video.video_id}.txt"
            results[video.video_id].write_text("\n".join(rows) + "\n")
        sequences = [s for s in read_dataset(dataset) if s.name in results]
        return combined(score_results(sequences, results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    saved = [read_saved_detections(path) for path in saved_detection_files(args.run)]
    print("| tracker | settings | HOTA | MOTA | IDF1 | IDSW |")
    print("|---|---|---:|---:|---:|---:|")
    for name in ("bytetrack", "botsort", "ocsort"):
        defaults = load_tracker_config(name)
        if name == "botsort":
            defaults = dataclasses.replace(defaults, gmc_method="none")
        tuned = tune_tracker(saved, args.dataset, defaults, args.trials).best
        for label, config in (("defaults", defaults), (f"tuned ({args.trials} trials)", tuned)):
            for who, score in (("tracklake", ours), ("Ultralytics", ultralytics)):
                s = score(saved, args.dataset, config)
                print(f"| {who} {name} | {label} | {s['HOTA']:.1f} | {s['MOTA']:.1f} "
                      f"| {s['IDF1']:.1f} | {s['IDSW']} |")  # fmt: skip
        print(
            f"<!-- {name} tuned: {np.round(list(dataclasses.asdict(tuned).values())[1:6], 3)} -->"
        )


if __name__ == "__main__":
    main()
