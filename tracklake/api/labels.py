"""``evaluate`` and ``tune``: tracks against a labelled dataset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracklake.api.arguments import Tracker
from tracklake.config import JobConfig
from tracklake.tracking.config import TrackerConfig

if TYPE_CHECKING:
    from tracklake.eval.run_eval import RunScores
    from tracklake.io.detection_store import SavedDetections
    from tracklake.jobs.tune import TuneFiles, TuneResult


def evaluate(run: str | Path, gt: str | Path, *, class_name: str = "person") -> RunScores:
    """Score the tracks of ``run`` against the labelled MOTChallenge dataset ``gt`` with
    TrackEval, and write the scores to ``run/eval.parquet``. ``tracklake eval``.

    Each sequence of ``gt`` is matched to the run's video with its name as ``video_id``;
    only tracks of ``class_name`` are scored.

    Returns:
        ``RunScores``: ``table``, one row per sequence and a ``COMBINED`` row (HOTA, DetA,
        AssA, MOTA, IDF1, IDSW, ...), and ``unmatched``, the sequences the run lacks.

    Raises:
        ValueError: ``gt`` is not a dataset, or no sequence of it has tracks in ``run``.
    """
    from tracklake.eval.run_eval import evaluate_run

    return evaluate_run(run, gt, class_name)


@dataclass(frozen=True)
class TuneOutput:
    """What ``tune`` found and wrote.

    Attributes:
        results: one ``TuneResult`` per tracker tuned: its trials, their cross-validation, and
            ``best``, the configuration to use (the defaults when tuning does not gain on the
            sequences held out).
        files: the ``<tracker>-tuned.yaml`` files and ``trials.parquet`` written.
        left_out: the sequences tuning went without, their saved detections unreadable:
            each the file and the cause.
    """

    results: list[TuneResult]
    files: TuneFiles
    left_out: tuple[str, ...] = ()


def tune(
    gt: str | Path,
    detections: str | Path,
    *,
    tracker: Tracker = TrackerConfig.tracker_type,
    metric: str = "HOTA",
    trials: int = 50,
    seed: int = 0,
    output: str | Path = "tuned",
    min_score: float | None = None,
    address: str | None = JobConfig.address,
) -> TuneOutput:
    """Tune trackers' thresholds and buffer to the labelled dataset ``gt`` with Ray Tune; write
    the configuration to use as a tracker YAML per tracker, and the trials as Parquet.
    ``tracklake tune``.

    Args:
        gt: a MOTChallenge dataset.
        detections: a run of ``track(save_detections=True)`` over ``gt``'s sequences.
        tracker: the tracker whose settings are searched (its own are the first trial), or
            ``all``: each registered tracker from its defaults.
        metric: the combined score maximised: HOTA, DetA, AssA, MOTA or IDF1.
        trials: trials per tracker, its own settings included.
        seed: the random search's seed.
        output: the folder for the YAMLs and ``trials.parquet``.
        min_score: as for ``retrack``.
        address: the Ray cluster the trials run on; ``None``: an embedded one.

    Raises:
        ValueError: a sequence of ``gt`` has no saved detections, none has readable ones, or
            a bad setting.
        JobError: the Ray cluster cannot be reached.
    """
    from tracklake.jobs.tune import trackers_to_tune, tune_trackers, write_tune_outputs

    bases = [tracker] if isinstance(tracker, TrackerConfig) else trackers_to_tune(tracker)
    saved, left_out = _saved_detections(gt, detections)
    results = tune_trackers(saved, gt, bases, trials, metric, min_score, address, seed)
    return TuneOutput(results, write_tune_outputs(results, output, gt), left_out)


def _saved_detections(
    gt: str | Path, detections: str | Path
) -> tuple[list[SavedDetections], tuple[str, ...]]:
    """The detections run ``detections`` saved of each sequence of the dataset ``gt`` that
    can be read, and why each of the others cannot.

    Raises:
        ValueError: ``gt`` is not a dataset, some sequence has no saved detections, or none
            of them can be read.
    """
    from tracklake.io import layout
    from tracklake.io.detection_store import DamagedDetectionsError, read_saved_detections
    from tracklake.io.mot_dataset import read_dataset
    from tracklake.io.object_store import open_store

    store = open_store(detections)
    keys = [layout.video_key(layout.DETECTIONS, sequence.name) for sequence in read_dataset(gt)]
    missing = [store.location(key) for key in keys if not store.exists(key)]
    if missing:
        raise ValueError(f"no saved detections for: {', '.join(missing)}")
    saved, damaged = [], []
    for key in keys:
        try:
            saved.append(read_saved_detections(store, key))
        except DamagedDetectionsError as error:
            damaged.append(str(error))
    if not saved:
        raise ValueError(f"no readable saved detections: {'; '.join(damaged)}")
    return saved, tuple(damaged)
