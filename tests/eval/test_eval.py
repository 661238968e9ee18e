"""``tracklake eval``: TrackEval's numbers, exactly, and the MOT17 rules."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import trackeval
from cli_runs import tracklake
from testkit import MOT15_SEQUENCES, link_sequence, tracks_path

from tracklake.eval.scores import COMBINED, score_results
from tracklake.io.mot import export_mot
from tracklake.io.mot_dataset import read_dataset

pytestmark = pytest.mark.slow


def official_trackeval(shared_dir, results_dir, tmp_path) -> dict:
    """TrackEval's own ``Evaluator`` on MOT15 result files, laid out as its README says."""
    gt_root = tmp_path / "gt" / "MOT15-train"
    for name in MOT15_SEQUENCES:
        link_sequence(gt_root, shared_dir, name, video=False)
    seqmap = tmp_path / "gt" / "seqmaps" / "MOT15-train.txt"
    seqmap.parent.mkdir(parents=True)
    seqmap.write_text("name\n" + "\n".join(MOT15_SEQUENCES) + "\n")
    data = tmp_path / "trackers" / "MOT15-train" / "ours" / "data"
    data.mkdir(parents=True)
    for name in MOT15_SEQUENCES:
        (data / f"{name}.txt").symlink_to(results_dir / f"{name}.txt")
    evaluator = trackeval.Evaluator(
        {"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
         "TIME_PROGRESS": False, "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False,
         "PLOT_CURVES": False}
    )  # fmt: skip
    dataset = trackeval.datasets.MotChallenge2DBox(
        {"GT_FOLDER": str(tmp_path / "gt"), "TRACKERS_FOLDER": str(tmp_path / "trackers"),
         "BENCHMARK": "MOT15", "SPLIT_TO_EVAL": "train", "PRINT_CONFIG": False}
    )  # fmt: skip
    metrics = [
        trackeval.metrics.HOTA(),
        trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
        trackeval.metrics.Identity({"PRINT_CONFIG": False}),
    ]  # the Evaluator adds Count itself
    results, messages = evaluator.evaluate([dataset], metrics)
    assert messages["MotChallenge2DBox"]["ours"] == "Success"
    return results["MotChallenge2DBox"]["ours"]


def test_eval_equals_trackeval_run_directly(mot15_run, mot15_dataset, shared_dir, tmp_path):
    result = tracklake("eval", str(mot15_run), "--gt", str(mot15_dataset))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:4] == ["sequence", "benchmark", "HOTA", "DetA"]
    ours = {row["sequence"]: row for row in pq.read_table(mot15_run / "eval.parquet").to_pylist()}
    assert list(ours) == [*MOT15_SEQUENCES, COMBINED]

    exported = tmp_path / "exported"
    for name in MOT15_SEQUENCES:
        export_mot(tracks_path(mot15_run, name), exported / f"{name}.txt")
    official = official_trackeval(shared_dir, exported, tmp_path / "trackeval")
    for sequence, theirs_key in [*((s, s) for s in MOT15_SEQUENCES), (COMBINED, "COMBINED_SEQ")]:
        theirs = official[theirs_key]["pedestrian"]
        expected = {
            "HOTA": 100 * np.mean(theirs["HOTA"]["HOTA"]),
            "DetA": 100 * np.mean(theirs["HOTA"]["DetA"]),
            "AssA": 100 * np.mean(theirs["HOTA"]["AssA"]),
            "MOTA": 100 * theirs["CLEAR"]["MOTA"],
            "IDF1": 100 * theirs["Identity"]["IDF1"],
            "IDSW": theirs["CLEAR"]["IDSW"],
            "FP": theirs["CLEAR"]["CLR_FP"],
            "FN": theirs["CLEAR"]["CLR_FN"],
            **{key: theirs["Count"][key] for key in ("Dets", "GT_Dets", "IDs", "GT_IDs")},
        }
        assert {key: ours[sequence][key] for key in expected} == expected, sequence
    # YOLOv8n finds most of TUD's pedestrians: a real score, not an empty match
    assert ours[COMBINED]["HOTA"] > 40 and ours[COMBINED]["GT_Dets"] == 359 + 1156


def test_mot17_rules_drop_distractors_and_unconsidered_rows(tmp_path, shared_dir):
    """MOT17-02's ground truth given back as the result: the pedestrians to find, plus boxes
    on distractors and static persons, which the MOT17 rules drop, and on cars, which count
    as false positives."""
    folder = tmp_path / "data" / "MOT17-02"
    (folder / "gt").mkdir(parents=True)
    (folder / "img1").mkdir()
    (folder / "seqinfo.ini").symlink_to(shared_dir / "mot17/MOT17-02/seqinfo.ini")
    (folder / "gt/gt.txt").symlink_to(shared_dir / "mot17/MOT17-02/gt/gt.txt")
    gt = np.loadtxt(folder / "gt/gt.txt", delimiter=",")
    pedestrians = (gt[:, 7] == 1) & (gt[:, 6] == 1)
    distractors = np.isin(gt[:, 7], [2, 7, 8, 12])
    cars = gt[:, 7] == 3
    rows = gt[pedestrians | distractors | cars]
    result = np.column_stack([rows[:, :6], np.ones(len(rows)), -np.ones((len(rows), 3))])
    np.savetxt(tmp_path / "MOT17-02.txt", result, fmt="%d,%d,%.2f,%.2f,%.2f,%.2f,%d,%d,%d,%d")

    (sequence,) = read_dataset(tmp_path / "data")
    row = score_results([sequence], {"MOT17-02": tmp_path / "MOT17-02.txt"}).to_pylist()[0]
    assert row["benchmark"] == "MOT17"
    assert row["GT_Dets"] == pedestrians.sum() and row["FN"] == 0 and row["IDSW"] == 0
    assert row["FP"] == cars.sum() and row["Dets"] == pedestrians.sum() + cars.sum()
    assert row["AssA"] == pytest.approx(100)


def test_eval_of_unrelated_dataset_is_a_usage_error(mot15_run, tmp_path, shared_dir):
    link_sequence(tmp_path, shared_dir, "TUD-Campus").rename(tmp_path / "Other")
    (tmp_path / "Other" / "TUD-Campus.mp4").rename(tmp_path / "Other" / "Other.mp4")
    result = tracklake("eval", str(mot15_run), "--gt", str(tmp_path))
    assert result.returncode == 2
    assert "no sequence of" in result.stderr and "Other" in result.stderr


def test_track_and_eval_an_image_sequence(tmp_path, shared_dir, yolov8n_weights, mot15_run):
    """A sequence given as img1/*.jpg is tracked like its video, and scores like it."""
    from testkit import ffmpeg

    folder = link_sequence(tmp_path / "images", shared_dir, "TUD-Campus", video=False)
    (folder / "img1").mkdir()
    video = shared_dir / "videos" / "TUD-Campus.mp4"
    ffmpeg("-i", str(video), "-q:v", "2", str(folder / "img1" / "%06d.jpg"))
    out = tmp_path / "out"
    tracked = tracklake("track", str(tmp_path / "images"), "-o", str(out), "--model",
                        str(yolov8n_weights), "--classes", "0", "--no-progress")  # fmt: skip
    assert tracked.returncode == 0, tracked.stderr
    assert tracklake("eval", str(out), "--gt", str(tmp_path / "images")).returncode == 0
    images = pq.read_table(out / "eval.parquet").to_pylist()[0]
    videos = pq.read_table(mot15_run / "eval.parquet").to_pylist()[0]
    assert images["sequence"] == videos["sequence"] == "TUD-Campus"
    assert images["GT_Dets"] == 359 and abs(images["HOTA"] - videos["HOTA"]) < 5
