"""Sequences cut into consecutive parts of time, each scored as a sequence of its own.

Cross-validation needs at least two folds; a dataset of one sequence gets them by cutting it
in time. The tracks are those of the whole sequence (the tracker runs through the cuts); the
ground truth and the tracks of each part are written as a sequence ``<name>-part<k>of<n>``
with its frames counted from 1, and scored as such.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tracklake.io.mot_dataset import GT_FILE, SEQINFO_FILE, MotSequence, read_gt_rows


def part_bounds(frames: int, parts: int) -> np.ndarray:
    """``(parts + 1,)`` int64 frame bounds: part ``k`` holds 1-based frames
    ``bounds[k] + 1 .. bounds[k + 1]``, the parts as equal as whole frames allow."""
    if not 1 <= parts <= frames:
        raise ValueError(f"cannot cut {frames} frames into {parts} parts")
    return np.linspace(0, frames, parts + 1).round().astype(np.int64)


def _rows_in(rows: np.ndarray, first: int, last: int) -> np.ndarray:
    """The MOTChallenge ``rows`` of 1-based frames ``first..last``, renumbered from 1."""
    kept = rows[(rows[:, 0] >= first) & (rows[:, 0] <= last)].copy()
    kept[:, 0] -= first - 1
    return kept


def _write_rows(path: Path, rows: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, rows, fmt="%.10g", delimiter=",")


def _result_rows(path: str | Path) -> np.ndarray:
    """A result file's rows; ``(0, 10)`` for an empty file (no tracks)."""
    if Path(path).stat().st_size == 0:
        return np.zeros((0, 10))
    return read_gt_rows(path)


def split_in_time(
    sequences: Sequence[MotSequence],
    results: Mapping[str, str | Path],
    parts: int,
    folder: str | Path,
) -> tuple[list[MotSequence], dict[str, Path]]:
    """Cut each sequence and its result file into ``parts`` sequences of consecutive frames.

    Args:
        sequences: the labelled sequences.
        results: sequence name -> its MOTChallenge result file.
        parts: parts per sequence.
        folder: where the parts' ``seqinfo.ini``, ground truth and result files are written.

    Returns:
        the parts as sequences, and part name -> its result file, both in order.
    """
    folder = Path(folder)
    cut_sequences, cut_results = [], {}
    for sequence in sequences:
        truth, tracks = read_gt_rows(sequence.gt_file), _result_rows(results[sequence.name])
        bounds = part_bounds(sequence.info.frames, parts)
        for k in range(parts):
            name = f"{sequence.name}-part{k + 1}of{parts}"
            first, last = int(bounds[k]) + 1, int(bounds[k + 1])
            part_folder = folder / "gt" / name
            _write_rows(part_folder / GT_FILE, _rows_in(truth, first, last))
            info = dataclasses.replace(sequence.info, name=name, frames=last - first + 1)
            (part_folder / SEQINFO_FILE).write_text(
                f"[Sequence]\nname={name}\nframeRate={info.fps}\nseqLength={info.frames}\n"
                f"imWidth={info.width}\nimHeight={info.height}\n"
            )
            cut_sequences.append(MotSequence(part_folder, info, None))
            cut_results[name] = folder / "results" / f"{name}.txt"
            _write_rows(cut_results[name], _rows_in(tracks, first, last))
    return cut_sequences, cut_results
