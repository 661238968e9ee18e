"""Scoring a run's tracks against a labelled dataset: ``tracklake eval OUT --gt DATASET``.

A sequence of the dataset is matched to the run's video of the same ``video_id`` (a run over
the dataset folder names its videos after the sequences). The scores go to ``OUT/eval.parquet``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tracklake.eval.scores import score_results
from tracklake.eval.time_split import split_in_time
from tracklake.io import layout
from tracklake.io.mot import export_mot
from tracklake.io.mot_dataset import read_dataset
from tracklake.io.object_store import open_store
from tracklake.io.store import write_table_object


@dataclass(frozen=True)
class RunScores:
    """A run's scores.

    Attributes:
        table: one row per scored sequence and a ``COMBINED`` row (``eval.scores.SCORE_SCHEMA``).
        unmatched: the dataset's sequences that have no tracks file in the run, not scored.
    """

    table: pa.Table
    unmatched: list[str]


def score_run(
    out_dir: str | Path, dataset: str | Path, class_name: str = "person", time_parts: int = 1
) -> RunScores:
    """Score the tracks of ``class_name`` in run ``out_dir`` against ``dataset``; with
    ``time_parts`` above 1, each sequence is scored as that many parts of consecutive frames
    (``eval.time_split``).

    Raises:
        DatasetError: ``dataset`` is not a MOTChallenge dataset.
        ValueError: no sequence of the dataset has tracks in the run.
    """
    sequences = read_dataset(dataset)
    store = open_store(out_dir)
    keys = {s.name: layout.video_key(layout.TRACKS, s.name) for s in sequences}
    matched = [s for s in sequences if store.exists(keys[s.name])]
    unmatched = [s.name for s in sequences if s not in matched]
    if not matched:
        raise ValueError(
            f"no sequence of {dataset} ({', '.join(unmatched)}) has a tracks file in "
            f"{store.location(layout.TRACKS)}: video ids must be the sequences' names"
        )
    with tempfile.TemporaryDirectory(prefix="tracklake-mot-") as temp:
        results = {}
        for sequence in matched:
            results[sequence.name] = Path(temp) / f"{sequence.name}.txt"
            with store.open(keys[sequence.name]) as tracks_file:
                export_mot(tracks_file, results[sequence.name], class_name)
        if time_parts > 1:
            matched, results = split_in_time(matched, results, time_parts, Path(temp) / "parts")
        table = score_results(matched, results)
    return RunScores(table, unmatched)


def evaluate_run(out_dir: str | Path, dataset: str | Path, class_name: str = "person") -> RunScores:
    """``score_run``, and write the table to ``OUT/eval.parquet``."""
    scores = score_run(out_dir, dataset, class_name)
    write_table_object(open_store(out_dir), layout.EVAL, scores.table)
    return scores
