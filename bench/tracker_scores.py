"""HOTA / MOTA / IDF1 of each tracker, with its defaults and as ``tune`` writes it, beside
Ultralytics' trackers on the same saved detections, on the shared MOT15 videos.

    .venv/bin/tracklake track DATASET -o RUN --classes 0 --save-detections --model yolov8n.pt
    .venv/bin/python bench/tracker_scores.py RUN DATASET --trials 20

DATASET is the TUD sequences as a MOTChallenge dataset (seqinfo.ini, gt/gt.txt and the video
in each sequence folder). All six trackers; BoT-SORT and TrackTrack run with
``gmc_method: none`` (as ``tune`` does: saved detections have no frames), and none uses
appearance. Ultralytics' tracker gets the same detections (above the run's conf) and
settings. "written" is what ``tune`` writes: the trial chosen by cross-validation over the
sequences, or the defaults when nothing beats them held out. A second table gives, per
tracker, the tuning score of the defaults and of the best trial, the held-out estimate and
the settings written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "tracking"))
from tracking_harness import run_ultralytics  # noqa: E402

from tracklake.eval.run_eval import score_run  # noqa: E402
from tracklake.eval.scores import COMBINED, score_results  # noqa: E402
from tracklake.io.detection_store import read_run_detections  # noqa: E402
from tracklake.io.mot_dataset import read_dataset  # noqa: E402
from tracklake.jobs.retrack import retrack_video  # noqa: E402
from tracklake.jobs.tune import TuneResult, tune_tracker  # noqa: E402
from tracklake.jobs.tune_space import searched_keys  # noqa: E402
from tracklake.tracking import load_tracker_config  # noqa: E402
from tracklake.tracking.config import TRACKER_TYPES  # noqa: E402


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


def changed(result: TuneResult) -> str:
    """The searched settings ``tune`` wrote that differ from the defaults, ``key old->new``."""
    old, new = result.defaults, result.best
    return ", ".join(
        f"{key} {getattr(old, key):.3g}->{getattr(new, key):.3g}"
        for key in searched_keys(old)
        if getattr(old, key) != getattr(new, key)
    )


def tuning_row(result: TuneResult) -> str:
    cv = result.cv
    return (
        f"| {result.tracker_type} | {result.default_score:.1f} -> {result.combined.max():.1f} "
        f"| {cv.default_score:.1f} -> {cv.held_out_score:.1f} ({cv.held_out_gain:+.1f}) "
        f"| {'defaults' if cv.kept_defaults else 'tuned'} | {changed(result) or '-'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--trackers", nargs="+", choices=TRACKER_TYPES, default=TRACKER_TYPES)
    args = parser.parse_args()
    saved = read_run_detections(args.run)
    print("| tracker | settings | HOTA | MOTA | IDF1 | IDSW |")
    print("|---|---|---:|---:|---:|---:|")
    results = []
    for name in args.trackers:
        result = tune_tracker(saved, args.dataset, load_tracker_config(name), args.trials)
        results.append(result)
        print(tuning_row(result), file=sys.stderr, flush=True)  # the summary so far
        written = "written: " + ("defaults kept" if result.cv.kept_defaults else "tuned")
        for label, config in (("defaults", result.defaults), (written, result.best)):
            for who, score in (("tracklake", ours), ("Ultralytics", ultralytics)):
                s = score(saved, args.dataset, config)
                print(f"| {who} {name} | {label} | {s['HOTA']:.1f} | {s['MOTA']:.1f} "
                      f"| {s['IDF1']:.1f} | {s['IDSW']} |", flush=True)  # fmt: skip
    print(
        "\n| tracker | tuning HOTA: defaults -> best trial | held out: defaults -> tuned (gain) "
        "| written | settings written (changed from the defaults) |"
    )
    print("|---|---|---|---|---|")
    for result in results:
        print(tuning_row(result))


if __name__ == "__main__":
    main()
