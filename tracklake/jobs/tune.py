"""Tuning a tracker to labelled footage with Ray Tune: ``tracklake tune``.

Each trial retracks the saved detections of a run (``track --save-detections``) with one
choice of the tracker's thresholds and buffer and scores the tracks against the dataset's
ground truth (TrackEval); the search maximises one metric of the combined sequences (HOTA by
default). The first trial is the tracker's defaults, so the best configuration never scores
below them. Trials run on the embedded Ray or on a cluster (``address``); the saved
detections travel through the object store, the dataset is read where a trial runs, so on a
cluster it must lie on a shared path.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from ray import tune

from tracklake.eval.run_eval import score_run
from tracklake.eval.scores import COMBINED
from tracklake.io.detection_store import SavedDetections
from tracklake.jobs.driver import start_ray
from tracklake.jobs.retrack import check_conf, retrack_video
from tracklake.tracking import TrackerConfig

TUNABLE_METRICS = ("HOTA", "DetA", "AssA", "MOTA", "IDF1")
_COMMON_SPACE = {
    "track_high_thresh": tune.quniform(0.2, 0.7, 0.01),
    "track_low_thresh": tune.quniform(0.05, 0.3, 0.01),
    "new_track_thresh": tune.quniform(0.2, 0.8, 0.01),
    "match_thresh": tune.quniform(0.5, 0.95, 0.01),
    "track_buffer": tune.randint(5, 121),
}
SEARCH_SPACES = {
    "bytetrack": _COMMON_SPACE,
    "botsort": {**_COMMON_SPACE, "proximity_thresh": tune.quniform(0.2, 0.8, 0.01)},
    "ocsort": {
        **_COMMON_SPACE,
        "inertia": tune.quniform(0.05, 0.5, 0.01),
        "delta_t": tune.randint(1, 6),
    },
}


@dataclass(frozen=True)
class TuneResult:
    """What a search found.

    Attributes:
        best: the best tracker configuration.
        best_score: its ``metric`` on the combined sequences.
        default_score: the defaults' ``metric`` (the first trial).
        trials: one row per trial, best first: the searched keys, then every metric.
    """

    best: TrackerConfig
    best_score: float
    default_score: float
    trials: pa.Table


def _trial_config(base: TrackerConfig, params: dict[str, Any]) -> TrackerConfig:
    """``base`` with the sampled ``params``, cast to the fields' types (Tune samples numpy
    numbers) and thresholds rounded to 3 decimals."""
    values = {}
    for key, value in params.items():
        kind = type(getattr(base, key))
        values[key] = round(float(value), 3) if kind is float else kind(value)
    return dataclasses.replace(base, **values)


def score_tracker(
    saved: Sequence[SavedDetections], dataset: str, tracker: TrackerConfig, conf: float | None
) -> dict[str, float]:
    """The tunable metrics and ``IDSW``, combined, when ``tracker`` tracks ``saved``."""
    with tempfile.TemporaryDirectory(prefix="tracklake-trial-") as out_dir:
        for video in saved:
            retrack_video(video, out_dir, tracker, conf)
        table = score_run(out_dir, dataset).table
    combined = table.filter(pc.equal(table["sequence"], COMBINED)).to_pylist()[0]
    return {**{name: float(combined[name]) for name in TUNABLE_METRICS}, "IDSW": combined["IDSW"]}


def _run_trial(
    params: dict[str, Any],
    base: TrackerConfig,
    saved: list[SavedDetections],
    dataset: str,
    conf: float | None,
) -> dict[str, float]:
    return score_tracker(saved, dataset, _trial_config(base, params), conf)


def tune_tracker(
    saved: Sequence[SavedDetections],
    dataset: str | Path,
    base: TrackerConfig,
    trials: int,
    metric: str = "HOTA",
    conf: float | None = None,
    address: str | None = None,
    seed: int = 0,
) -> TuneResult:
    """Search ``base``'s thresholds and buffer over ``trials`` trials; see the module docstring.

    Args:
        saved: the saved detections of the dataset's sequences (video ids = sequence names).
        dataset: the MOTChallenge dataset folder.
        base: the tracker whose keys are searched; its values are the first trial.
        trials: trials in all, the defaults included (at least 1).
        metric: one of ``TUNABLE_METRICS``, maximised.
        conf: keep detections above this; ``None`` keeps the saving run's ``conf``.
        address: the Ray cluster to join; ``None`` starts an embedded one.
        seed: the random search's seed.
    """
    if metric not in TUNABLE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(TUNABLE_METRICS)}, got {metric!r}")
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    if base.tracker_type == "botsort":  # camera-motion compensation needs the frames
        base = dataclasses.replace(base, gmc_method="none")
    check_conf(conf)
    space = SEARCH_SPACES[base.tracker_type]
    defaults = {key: getattr(base, key) for key in space}
    start_ray(address)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no experiment banner on stdout
    with tempfile.TemporaryDirectory(prefix="tracklake-tune-") as storage:
        tuner = tune.Tuner(
            tune.with_parameters(
                _run_trial, base=base, saved=list(saved), dataset=str(dataset), conf=conf
            ),
            param_space=space,
            tune_config=tune.TuneConfig(
                metric=metric,
                mode="max",
                num_samples=trials,
                search_alg=tune.search.BasicVariantGenerator(
                    points_to_evaluate=[defaults], random_state=seed
                ),
            ),
            run_config=tune.RunConfig(storage_path=storage, name="tune", verbose=0),
        )
        grid = tuner.fit()
        rows = []
        for result in grid:
            if result.error is not None:
                raise RuntimeError(f"a tuning trial failed: {result.error}") from result.error
            config = _trial_config(base, {key: result.config[key] for key in space})
            rows.append(
                {
                    **{key: getattr(config, key) for key in space},
                    **{name: result.metrics[name] for name in (*TUNABLE_METRICS, "IDSW")},
                }
            )
    default = _trial_config(base, defaults)
    default_row = next(r for r in rows if all(r[key] == getattr(default, key) for key in space))
    rows.sort(key=lambda row: -row[metric])
    best = _trial_config(base, {key: rows[0][key] for key in space})
    return TuneResult(best, rows[0][metric], default_row[metric], pa.Table.from_pylist(rows))


def write_tracker_yaml(config: TrackerConfig, path: str | Path, comment: str) -> Path:
    """Write ``config`` as an Ultralytics-style tracker YAML that ``--tracker`` accepts."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + yaml.safe_dump(config.to_dict(), sort_keys=False))
    return path
