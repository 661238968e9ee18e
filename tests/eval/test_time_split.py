"""A sequence cut into parts of time, each scored as a sequence: the folds of one sequence."""

from __future__ import annotations

import numpy as np
import pytest
from testkit import link_sequence

from tracklake.eval.scores import COMBINED, score_results
from tracklake.eval.time_split import part_bounds, split_in_time
from tracklake.io.mot_dataset import read_dataset, read_gt_rows


def test_parts_cover_every_frame_once_as_evenly_as_whole_frames_allow():
    assert part_bounds(179, 3).tolist() == [0, 60, 119, 179]
    assert part_bounds(6, 6).tolist() == list(range(7))
    with pytest.raises(ValueError, match="cannot cut 2 frames into 3 parts"):
        part_bounds(2, 3)


def test_each_part_is_a_sequence_of_its_own_frames_counted_from_one(shared_dir, tmp_path):
    link_sequence(tmp_path / "dataset", shared_dir, "TUD-Stadtmitte", video=False)
    (sequence,) = read_dataset(tmp_path / "dataset")
    truth = read_gt_rows(sequence.gt_file)
    # a result that is the ground truth itself, less one box: every part but one scores 100
    result = tmp_path / "result.txt"
    rows = truth[truth[:, 0] != 150].copy()
    rows[:, 6:] = (1, -1, -1, -1)  # score 1; no world coordinates
    np.savetxt(result, rows, fmt="%.10g", delimiter=",")

    parts, results = split_in_time([sequence], {sequence.name: result}, 3, tmp_path / "parts")

    assert [part.name for part in parts] == [f"TUD-Stadtmitte-part{k}of3" for k in (1, 2, 3)]
    assert [part.info.frames for part in parts] == [60, 59, 60]
    assert list(results) == [part.name for part in parts]
    part_truths = [read_gt_rows(part.gt_file) for part in parts]
    assert sum(len(rows) for rows in part_truths) == len(truth)
    for part, rows, first in zip(parts, part_truths, (1, 61, 120), strict=True):
        assert rows[:, 0].min() == 1 and rows[:, 0].max() <= part.info.frames
        expected = truth[(truth[:, 0] >= first) & (truth[:, 0] < first + part.info.frames)]
        np.testing.assert_allclose(rows[:, 1:], expected[:, 1:])
    scores = {row["sequence"]: row for row in score_results(parts, results).to_pylist()}
    assert scores[parts[0].name]["HOTA"] == scores[parts[1].name]["HOTA"] == pytest.approx(100.0)
    assert scores[parts[2].name]["HOTA"] < 100.0  # frame 150 is frame 31 of the last part
    assert scores[parts[2].name]["FN"] == np.count_nonzero(truth[:, 0] == 150)
    assert scores[COMBINED]["GT_Dets"] == len(truth)
