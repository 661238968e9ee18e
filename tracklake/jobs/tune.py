"""Tuning trackers to labelled footage with Ray Tune: ``tracklake tune``.

Each trial retracks the saved detections of a run (``track --save-detections``) with one
configuration and scores the tracks against the dataset's ground truth (TrackEval), sequence
by sequence and combined. The configurations are the tracker's defaults, then random draws
from its search space (``jobs.tune_space``). The trial to use is chosen by a rule that is
cross-validated over the sequences (``jobs.tune_cv``; a dataset of one sequence is cut into
``TIME_PARTS`` parts of time), which says what tuning gains on footage it was not tuned on; the
defaults are kept when that held-out gain is not positive. Trials run on the embedded Ray or
on a cluster (``address``); the saved detections travel through the object store, the dataset
is read where a trial runs, so on a cluster it must lie on a shared path.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tracklake.eval.run_eval import score_run
from tracklake.eval.scores import COMBINED, TUNABLE_METRICS
from tracklake.io.detection_store import SavedDetections
from tracklake.jobs.retrack import check_min_score, check_retrackable, retrack_video
from tracklake.jobs.tune_cv import CrossValidation, cross_validate
from tracklake.jobs.tune_space import draw_trials, searched_keys
from tracklake.tracking import TrackerConfig, load_tracker_config
from tracklake.tracking.config import TRACKER_TYPES

SCORE_COLUMNS = (*TUNABLE_METRICS, "IDSW")
# Folds a dataset of one sequence is cut into, in time.
TIME_PARTS = 3
ALL_TRACKERS = "all"
TRIALS_FILE = "trials.parquet"
_KEY_SEPARATOR = "|"  # a trial reports "<sequence>|<column>"


@dataclass(frozen=True)
class TuneResult:
    """What tuning one tracker found.

    Attributes:
        metric: the score maximised (one of ``TUNABLE_METRICS``).
        configs: the configurations tried; ``configs[0]`` the defaults.
        combined: ``(T,)`` float64, each configuration's ``metric`` on all sequences
            combined: the tuning score.
        cv: the cross-validation of the choice over the folds (the sequences, or the parts of
            one sequence), scored by ``metric``.
        trials: one row per trial, best tuning score first (see ``trials_table``).
    """

    metric: str
    configs: tuple[TrackerConfig, ...]
    combined: np.ndarray
    cv: CrossValidation
    trials: pa.Table

    @property
    def tracker_type(self) -> str:
        return self.configs[0].tracker_type

    @property
    def defaults(self) -> TrackerConfig:
        return self.configs[0]

    @property
    def best(self) -> TrackerConfig:
        """The configuration to use: the chosen trial, or the defaults when tuning does not
        gain held out."""
        return self.configs[self.cv.chosen]

    @property
    def best_score(self) -> float:
        """``best``'s tuning score (on the sequences it was chosen on)."""
        return float(self.combined[self.cv.chosen])

    @property
    def default_score(self) -> float:
        """The defaults' tuning score."""
        return float(self.combined[0])


def trackers_to_tune(tracker: str | Path) -> list[TrackerConfig]:
    """``all``: the defaults of every registered tracker; else the one configuration named
    (a short name or a YAML, as ``--tracker`` takes)."""
    if str(tracker) == ALL_TRACKERS:
        return [load_tracker_config(name) for name in TRACKER_TYPES]
    return [load_tracker_config(tracker)]


def score_tracker(
    saved: Sequence[SavedDetections],
    dataset: str | Path,
    tracker: TrackerConfig,
    min_score: float | None,
    time_parts: int = 1,
) -> pa.Table:
    """The scores (``eval.scores.SCORE_SCHEMA``) when ``tracker`` tracks ``saved``: one row
    per sequence (per part with ``time_parts`` above 1), then ``COMBINED``."""
    with tempfile.TemporaryDirectory(prefix="tracklake-trial-") as out_dir:
        for video in saved:
            retrack_video(video, out_dir, tracker, min_score)
        return score_run(out_dir, dataset, time_parts=time_parts).table


def _run_trial(
    params: dict[str, Any],
    configs: list[TrackerConfig],
    saved: list[SavedDetections],
    dataset: str,
    min_score: float | None,
    time_parts: int,
) -> dict[str, float]:
    table = score_tracker(saved, dataset, configs[params["trial"]], min_score, time_parts)
    return {
        f"{row['sequence']}{_KEY_SEPARATOR}{column}": float(row[column])
        for row in table.to_pylist()
        for column in SCORE_COLUMNS
    }


def _run_trials(
    configs: list[TrackerConfig],
    saved: list[SavedDetections],
    dataset: str | Path,
    min_score: float | None,
    time_parts: int,
) -> list[dict[str, float]]:
    """Each configuration's ``_run_trial`` scores, as Ray Tune trials, in ``configs``' order."""
    from ray import tune

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no experiment banner on stdout
    trial = tune.with_parameters(
        _run_trial, configs=configs, saved=saved, dataset=str(dataset), min_score=min_score,
        time_parts=time_parts,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="tracklake-tune-") as storage:
        grid = tune.Tuner(
            trial,
            param_space={"trial": tune.grid_search(list(range(len(configs))))},
            run_config=tune.RunConfig(storage_path=storage, name="tune", verbose=0),
        ).fit()
        scores: list[dict[str, float]] = [{} for _ in configs]
        for index in range(len(grid)):  # a ResultGrid is indexed; it is not typed iterable
            result = grid[index]
            if result.error is not None:
                cause = result.error if isinstance(result.error, BaseException) else None
                raise RuntimeError(f"a tuning trial failed: {result.error}") from cause
            config, metrics = result.config or {}, result.metrics or {}
            scores[config["trial"]] = dict(metrics)
    return scores


def _fold_names(scores: dict[str, float]) -> tuple[str, ...]:
    """The scored sequences (or parts) of one trial's scores, in order, without COMBINED."""
    names = dict.fromkeys(key.split(_KEY_SEPARATOR)[0] for key in scores if _KEY_SEPARATOR in key)
    return tuple(name for name in names if name != COMBINED)


def trials_table(
    configs: Sequence[TrackerConfig],
    scores: Sequence[dict[str, float]],
    cv: CrossValidation,
    metric: str,
) -> pa.Table:
    """One row per trial, best tuning score first: ``tracker``, ``trial`` (0: the
    defaults), ``chosen`` (the configuration to use), the searched keys, the combined
    ``HOTA DetA AssA MOTA IDF1 IDSW`` on the tuning sequences, ``held_out_<metric>`` float64
    (the trial's mean score on the folds it was chosen without; null if never) and
    ``held_out_on`` (those folds, comma-separated), then ``<metric> <fold>`` for each fold."""
    keys = searched_keys(configs[0])
    held_out = f"held_out_{metric}"
    rows = []
    for trial, (config, trial_scores, (held_out_score, held_out_on)) in enumerate(
        zip(configs, scores, cv.held_out_by_trial(), strict=True)
    ):
        rows.append(
            {
                "tracker": config.tracker_type,
                "trial": trial,
                "chosen": trial == cv.chosen,
                **{key: getattr(config, key) for key in keys},
                **{c: trial_scores[f"{COMBINED}{_KEY_SEPARATOR}{c}"] for c in TUNABLE_METRICS},
                "IDSW": int(trial_scores[f"{COMBINED}{_KEY_SEPARATOR}IDSW"]),
                held_out: held_out_score,
                "held_out_on": ",".join(held_out_on),
                **{f"{metric} {fold}": float(cv.fold_scores[trial, i])
                   for i, fold in enumerate(cv.folds)},
            }
        )  # fmt: skip
    rows.sort(key=lambda row: -row[metric])
    table = pa.Table.from_pylist(rows)
    column = table.schema.get_field_index(held_out)
    return table.set_column(column, held_out, table[held_out].cast(pa.float64()))


def tune_tracker(
    saved: Sequence[SavedDetections],
    dataset: str | Path,
    base: TrackerConfig,
    trials: int,
    metric: str = "HOTA",
    min_score: float | None = None,
    address: str | None = None,
    seed: int = 0,
) -> TuneResult:
    """Tune ``base``'s tracker over ``trials`` trials; see the module docstring.

    Args:
        saved: the saved detections of the dataset's sequences (video ids = sequence names).
        dataset: the MOTChallenge dataset folder.
        base: the tracker tuned; its values are the first trial, the defaults to beat.
            Camera-motion compensation is turned off unless every video's saved detections
            carry the warps of its ``gmc_method`` (see ``camera_motion_as_saved``).
        trials: trials in all, the defaults included (at least 1).
        metric: one of ``TUNABLE_METRICS``, maximised.
        min_score: keep detections above this; ``None`` keeps the saving run's ``conf``.
        address: the Ray cluster to join; ``None`` starts an embedded one.
        seed: the seed of the draw of trials.
    """
    from tracklake.jobs.ray_session import start_ray

    if metric not in TUNABLE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(TUNABLE_METRICS)}, got {metric!r}")
    check_min_score(min_score)
    base = camera_motion_as_saved(base, saved)
    for video in saved:
        check_retrackable(video, base)
    configs = draw_trials(base, trials, seed)
    time_parts = TIME_PARTS if len(saved) == 1 else 1
    start_ray(address)
    scores = _run_trials(configs, list(saved), dataset, min_score, time_parts)
    folds = _fold_names(scores[0])
    fold_scores = np.array(
        [[s[f"{fold}{_KEY_SEPARATOR}{metric}"] for fold in folds] for s in scores]
    )
    cv = cross_validate(fold_scores, folds)
    combined = np.array([s[f"{COMBINED}{_KEY_SEPARATOR}{metric}"] for s in scores])
    return TuneResult(
        metric, tuple(configs), combined, cv, trials_table(configs, scores, cv, metric)
    )


def camera_motion_as_saved(base: TrackerConfig, saved: Sequence[SavedDetections]) -> TrackerConfig:
    """``base``, compensating camera motion only when every video's saved detections carry
    the warps its ``gmc_method`` found (a run whose tracker compensated by that method);
    else with ``gmc_method: none``, as the frames are not there to estimate it from."""
    if base.compensates_camera_motion and any(s.camera_motion != base.gmc_method for s in saved):
        return dataclasses.replace(base, gmc_method="none")
    return base


def tune_trackers(
    saved: Sequence[SavedDetections],
    dataset: str | Path,
    bases: Sequence[TrackerConfig],
    trials: int,
    metric: str = "HOTA",
    min_score: float | None = None,
    address: str | None = None,
    seed: int = 0,
) -> list[TuneResult]:
    """``tune_tracker`` for each of ``bases``, with the same arguments."""
    return [
        tune_tracker(saved, dataset, base, trials, metric, min_score, address, seed)
        for base in bases
    ]


def recommend(results: Sequence[TuneResult]) -> TuneResult:
    """The tracker to use: the one expected to score best on new footage (its held-out
    estimate when tuned, its defaults' score when they are kept); the first on a tie."""
    return max(results, key=lambda result: result.cv.expected_score)


def tune_report(results: Sequence[TuneResult]) -> str:
    """What tuning found, a line per tracker (the held-out gain over the defaults, or that
    there is none and the defaults are kept), and with several trackers the one to use."""
    lines = []
    for result in results:
        cv, metric, name = result.cv, result.metric, result.tracker_type
        gains = cv.held_out_gains
        held_out = (
            f"{cv.held_out_score:.2f} tuned against {cv.default_score:.2f} with the defaults "
            f"held out ({cv.held_out_gain:+.2f}; leave one of {len(cv.folds)} out, "
            f"{gains.min():+.2f} to {gains.max():+.2f} by fold)"
        )
        if not cv.kept_defaults:
            lines.append(
                f"{name}: {metric} {held_out}; {result.best_score:.2f} against "
                f"{result.default_score:.2f} on the tuning sequences"
            )
        elif cv.held_out_gain <= 0:
            lines.append(f"{name}: no held-out gain over the defaults, keeping them: {held_out}")
        else:
            lines.append(f"{name}: no trial beats the defaults on every fold, keeping them")
    if len(results) > 1:
        best = recommend(results)
        lines.append(
            f"recommended: {best.tracker_type} ({best.metric} {best.cv.expected_score:.2f} "
            "expected on new footage)"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class TuneFiles:
    """What ``write_tune_outputs`` wrote.

    Attributes:
        tracker_yamls: tracker type -> ``<out_dir>/<tracker>-tuned.yaml``.
        trials_file: ``<out_dir>/trials.parquet``: every trial of every tracker.
    """

    tracker_yamls: dict[str, Path]
    trials_file: Path


def write_tune_outputs(
    results: Sequence[TuneResult], out_dir: str | Path, dataset: str | Path
) -> TuneFiles:
    """Write what ``tune_tracker`` (or ``tune_trackers``) found into ``out_dir``.

    Each tracker's configuration to use (``TuneResult.best``: the defaults when tuning does
    not gain held out) goes to ``<tracker>-tuned.yaml``, an Ultralytics-style tracker YAML
    that ``--tracker`` takes, headed by a comment with its scores; the trials of all the
    trackers go to ``trials.parquet`` (``trials_table``'s columns; keys a tracker does not
    have are null).

    Args:
        results: one per tracker tuned.
        out_dir: the output folder (created).
        dataset: the dataset tuned on, named in the YAML's comment.
    """
    from tracklake.io.object_store import open_store
    from tracklake.io.store import write_table_object

    out_dir = Path(out_dir)
    yamls = {}
    for result in results:
        comment = f"tracklake tune on {dataset}, {len(result.configs)} trials\n" + tune_report(
            [result]
        )
        yamls[result.tracker_type] = write_tracker_yaml(
            result.best, out_dir / f"{result.tracker_type}-tuned.yaml", comment
        )
    trials = pa.concat_tables([r.trials for r in results], promote_options="default")
    write_table_object(open_store(out_dir), TRIALS_FILE, trials)
    return TuneFiles(yamls, out_dir / TRIALS_FILE)


def write_tracker_yaml(config: TrackerConfig, path: str | Path, comment: str) -> Path:
    """Write ``config`` as an Ultralytics-style tracker YAML that ``--tracker`` accepts."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    path.write_text(header + yaml.safe_dump(config.to_dict(), sort_keys=False))
    return path
