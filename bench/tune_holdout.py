"""Does ``tracklake tune`` hold on footage it was not tuned on, and does it say so truthfully?

    .venv/bin/tracklake track DATASET -o RUN --classes 0 --save-detections --model yolov8n.pt
    .venv/bin/python bench/tune_holdout.py RUN DATASET --trials 30
    .venv/bin/python bench/tune_holdout.py RUN DATASET --trackers ocsort --tuned-on TUD-Stadtmitte

DATASET is the two TUD sequences as a MOTChallenge dataset (seqinfo.ini, gt/gt.txt and the
video in each sequence folder), RUN its YOLOv8n detections. Two experiments, each tracker:

- ``TUD -> MOT17``: tune on both TUD sequences (leave one sequence out), then score the
  defaults, the configuration ``tune`` writes and the trial with the best tuning score (what
  the tuner before cross-validation wrote) on the seven MOT17 train sequences, whose
  detections are made from the ground truth (``tests/tracking/tracking_harness.py``: boxes
  jittered by 5%, 10% dropped, about 2 false positives a frame, scores over [0.05, 1]).
- ``A -> B``: tune on one TUD sequence alone (cut into three parts of time), score on the
  other: real detections on both sides.

The reported gain is ``tune``'s held-out estimate of (written - defaults); the measured gain
is that difference on the unseen footage (mean HOTA over its sequences).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests" / "tracking"), str(REPO / "tests" / "jobs")]
from gt_footage import write_sequence  # noqa: E402
from tracking_harness import mot17_detections  # noqa: E402

from tracklake.eval.scores import COMBINED  # noqa: E402
from tracklake.io.detection_store import read_run_detections  # noqa: E402
from tracklake.io.mot_dataset import read_dataset  # noqa: E402
from tracklake.jobs.tune import TuneResult, score_tracker, tune_tracker  # noqa: E402
from tracklake.tracking import TrackerConfig, load_tracker_config  # noqa: E402
from tracklake.tracking.config import TRACKER_TYPES  # noqa: E402

MOT17 = ("MOT17-02", "MOT17-04", "MOT17-05", "MOT17-09", "MOT17-10", "MOT17-11", "MOT17-13")
# What each experiment is tuned on -> scored on ("TUD": both TUD sequences -> MOT17).
EXPERIMENTS = {
    "TUD": "MOT17",
    "TUD-Campus": "TUD-Stadtmitte",
    "TUD-Stadtmitte": "TUD-Campus",
}


def mean_hota(saved, dataset, config: TrackerConfig) -> float:
    """HOTA averaged over the sequences (as ``tune``'s held-out estimate averages folds)."""
    rows = score_tracker(saved, dataset, config, None).to_pylist()
    return float(np.mean([row["HOTA"] for row in rows if row["sequence"] != COMBINED]))


def greedy_pick(result: TuneResult) -> TrackerConfig:
    """The trial with the best tuning score: what ``tune`` wrote before cross-validation."""
    return result.configs[int(np.argmax(result.combined))]


def row(label: str, result: TuneResult, unseen, unseen_dataset) -> str:
    cv = result.cv
    scores = {
        name: mean_hota(unseen, unseen_dataset, config)
        for name, config in (
            ("defaults", result.defaults),
            ("written", result.best),
            ("greedy", greedy_pick(result)),
        )
    }
    reported = 0.0 if cv.kept_defaults else cv.held_out_gain
    measured = scores["written"] - scores["defaults"]
    return (
        f"| {label} | {result.tracker_type} | {result.default_score:.1f} -> "
        f"{result.combined.max():.1f} | {cv.default_score:.1f} -> {cv.held_out_score:.1f} "
        f"({cv.held_out_gain:+.1f}) | {'defaults' if cv.kept_defaults else 'tuned'} | "
        f"{scores['defaults']:.1f} | {scores['written']:.1f} | {scores['greedy']:.1f} | "
        f"{reported:+.1f} | {measured:+.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--trackers", nargs="+", choices=TRACKER_TYPES, default=TRACKER_TYPES)
    parser.add_argument(
        "--tuned-on", nargs="+", choices=tuple(EXPERIMENTS), default=tuple(EXPERIMENTS),
        help="the experiments to run, by what they tune on (TUD: both sequences, scored on MOT17)",
    )  # fmt: skip
    args = parser.parse_args()
    saved = {s.video_id: s for s in read_run_detections(args.run)}
    folders = {s.name: s.folder for s in read_dataset(args.dataset)}
    root = Path(tempfile.mkdtemp(prefix="tune-holdout-"))
    for name in MOT17:
        detections = mot17_detections(args.shared / "mot17" / name, seed=0)
        write_sequence(args.shared, root, name, len(detections), detections)
    mot17 = read_run_detections(root / "run")
    print(
        "| tuned on -> scored on | tracker | tuning HOTA: defaults -> best trial | held out: "
        "defaults -> tuned (gain) | written | unseen: defaults | unseen: written | "
        "unseen: best tuning trial | gain reported | gain measured |"
    )
    print("|---|---|---|---|---|---:|---:|---:|---:|---:|")
    for tracker in args.trackers:
        base = load_tracker_config(tracker)
        for tuned_on in args.tuned_on:
            scored_on = EXPERIMENTS[tuned_on]
            if tuned_on == "TUD":
                result = tune_tracker(
                    list(saved.values()), args.dataset, base, args.trials, seed=args.seed
                )
                unseen, unseen_dataset = mot17, root / "dataset"
            else:
                result = tune_tracker(
                    [saved[tuned_on]], folders[tuned_on], base, args.trials, seed=args.seed
                )
                unseen, unseen_dataset = [saved[scored_on]], folders[scored_on]
            print(row(f"{tuned_on} -> {scored_on}", result, unseen, unseen_dataset), flush=True)


if __name__ == "__main__":
    main()
