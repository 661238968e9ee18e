"""Scoring MOTChallenge result files against a dataset's ground truth, by TrackEval.

TrackEval's ``MotChallenge2DBox`` reads both files and applies the benchmark's rules (MOT15:
every ground-truth row with a non-zero flag is a pedestrian to find; MOT17: only class 1 with
``consider`` set, and results matched to a distractor or static person are dropped); its HOTA,
CLEAR and Identity metrics score each sequence, then combine the sequences as its own
``Evaluator`` does. The files are laid out in a temporary folder the way TrackEval wants them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from tracklake.io.mot_dataset import GT_FILE, MotSequence, gt_benchmark
from tracklake.text_table import aligned_table

COMBINED = "COMBINED"
_TRACKER = "tracklake"
_CLASS = "pedestrian"
# Column -> (TrackEval metric, field); fractions become percent, HOTA's are averaged over
# its localisation thresholds, as TrackEval's summaries do.
_PERCENT = {
    "HOTA": ("HOTA", "HOTA"),
    "DetA": ("HOTA", "DetA"),
    "AssA": ("HOTA", "AssA"),
    "MOTA": ("CLEAR", "MOTA"),
    "IDF1": ("Identity", "IDF1"),
}
# The combined scores ``tune`` can maximise: the percentages.
TUNABLE_METRICS = tuple(_PERCENT)
_COUNTS = {
    "IDSW": ("CLEAR", "IDSW"),
    "FP": ("CLEAR", "CLR_FP"),
    "FN": ("CLEAR", "CLR_FN"),
    "Dets": ("Count", "Dets"),
    "GT_Dets": ("Count", "GT_Dets"),
    "IDs": ("Count", "IDs"),
    "GT_IDs": ("Count", "GT_IDs"),
}
SCORE_SCHEMA = pa.schema(
    [("sequence", pa.string()), ("benchmark", pa.string())]
    + [(name, pa.float64()) for name in _PERCENT]
    + [(name, pa.int64()) for name in _COUNTS]
)


def _metrics() -> list:
    from trackeval.metrics import CLEAR, HOTA, Count, Identity  # the eval extra

    quiet = {"PRINT_CONFIG": False}
    return [HOTA(quiet), CLEAR(quiet), Identity(quiet), Count(quiet)]


def _link_layout(root: Path, sequences: Sequence[MotSequence], results: Mapping[str, Path]) -> None:
    """``root/gt/<seq>/gt/gt.txt`` and ``root/trackers/tracklake/data/<seq>.txt``, as links."""
    for sequence in sequences:
        gt = root / "gt" / sequence.name / GT_FILE
        gt.parent.mkdir(parents=True)
        os.symlink(sequence.gt_file.resolve(), gt)
        result = root / "trackers" / _TRACKER / "data" / f"{sequence.name}.txt"
        result.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(Path(results[sequence.name]).resolve(), result)


def _row(sequence: str, benchmark: str, result: Mapping[str, Mapping]) -> dict:
    row: dict[str, str | float] = {"sequence": sequence, "benchmark": benchmark}
    for column, (metric, field) in _PERCENT.items():
        row[column] = 100.0 * float(np.mean(result[metric][field]))
    for column, (metric, field) in _COUNTS.items():
        row[column] = int(result[metric][field])
    return row


def score_results(sequences: Sequence[MotSequence], results: Mapping[str, str | Path]) -> pa.Table:
    """Score one MOTChallenge result file per sequence.

    Args:
        sequences: the labelled sequences to score.
        results: sequence name -> its result file (``frame,id,x,y,w,h,score,-1,-1,-1``,
            frames 1-based, every row a pedestrian).

    Returns:
        one row per sequence, then a ``COMBINED`` row, with the columns of ``SCORE_SCHEMA``:
        ``HOTA DetA AssA MOTA IDF1`` float64 percent, ``IDSW FP FN Dets GT_Dets IDs GT_IDs``
        int64. ``benchmark`` is ``MOT15`` or ``MOT17``: the ground truth's format.
    """
    from trackeval.datasets import MotChallenge2DBox

    metrics = _metrics()
    per_sequence: dict[str, dict] = {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="tracklake-eval-") as temp:
        root = Path(temp)
        _link_layout(root, sequences, {name: Path(path) for name, path in results.items()})
        benchmarks = {sequence.name: gt_benchmark(sequence.gt_file) for sequence in sequences}
        for benchmark in sorted(set(benchmarks.values())):
            names = [name for name, value in benchmarks.items() if value == benchmark]
            dataset = MotChallenge2DBox(
                {
                    "GT_FOLDER": str(root / "gt"),
                    "TRACKERS_FOLDER": str(root / "trackers"),
                    "TRACKERS_TO_EVAL": [_TRACKER],
                    "BENCHMARK": benchmark,
                    "SKIP_SPLIT_FOL": True,
                    "SEQ_INFO": {s.name: s.info.frames for s in sequences if s.name in names},
                    "PRINT_CONFIG": False,
                }
            )
            for name in names:
                raw = dataset.get_raw_seq_data(_TRACKER, name)
                data = dataset.get_preprocessed_seq_data(raw, _CLASS)
                per_sequence[name] = {m.get_name(): m.eval_sequence(data) for m in metrics}
    for sequence in sequences:
        rows.append(_row(sequence.name, benchmarks[sequence.name], per_sequence[sequence.name]))
    combined = {
        m.get_name(): m.combine_sequences(
            {name: r[m.get_name()] for name, r in per_sequence.items()}
        )
        for m in metrics
    }
    rows.append(_row(COMBINED, "+".join(sorted(set(benchmarks.values()))), combined))
    return pa.Table.from_pylist(rows, schema=SCORE_SCHEMA)


def format_table(table: pa.Table, decimals: int = 1) -> str:
    """``table`` as aligned text, floats to ``decimals`` places, numbers right-aligned."""
    rows = [list(row.values()) for row in table.to_pylist()]
    return aligned_table(table.column_names, rows, decimals)
