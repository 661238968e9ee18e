"""``track --save-detections`` and ``retrack``: detections kept below conf, tracks unchanged,
and a retrack with the run's tracker giving the run's tracks exactly."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from cli_runs import tracklake
from testkit import MOT15_SEQUENCES, read_saved

from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.io.footer import read_footer
from tracklake.io.store import read_videos_table
from tracklake.tracking.recovered import recovered_count

pytestmark = pytest.mark.slow


def tracks_of(out, video_id):
    return pq.read_table(out / "tracks" / f"{video_id}.parquet")


def test_saved_detections_reach_below_conf(mot15_run):
    saved = read_saved(mot15_run / "detections" / "TUD-Campus.parquet")
    assert (saved.video_id, saved.conf, saved.fps, saved.frames) == ("TUD-Campus", 0.25, 25.0, 71)
    scores = saved.table["score"].to_numpy()
    assert scores.min() > DETECTIONS_FLOOR and (scores <= 0.25).sum() > 100
    assert set(saved.table["class_name"].to_pylist()) == {"person"}
    frames = list(saved.frames_with_detections(0.25))
    assert [frame for frame, _, _ in frames] == list(range(71))
    summary = {s.video_id: s for s in read_videos_table(mot15_run)}["TUD-Campus"]
    # The recovered second set is saved too (for TrackTrack), but not counted as detected.
    assert sum(len(d) - recovered_count(d) for _, _, d in frames) == summary.detections
    assert sum(recovered_count(d) for _, _, d in frames) > 0


def test_tracks_do_not_change_when_detections_are_saved(mot15_run, mot15_dataset, yolov8n_weights,
                                                        tmp_path):  # fmt: skip
    out = tmp_path / "plain"
    result = tracklake("track", str(mot15_dataset / "TUD-Campus"), "-o", str(out), "--model",
                       str(yolov8n_weights), "--classes", "0", "--no-progress")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (out / "detections").exists()
    assert tracks_of(out, "TUD-Campus").equals(tracks_of(mot15_run, "TUD-Campus"))


def test_retrack_with_the_runs_tracker_reproduces_its_tracks(mot15_run, tmp_path):
    out = tmp_path / "again"
    result = tracklake("retrack", str(mot15_run), "-o", str(out), "--tracker", "bytetrack")
    assert result.returncode == 0, result.stderr
    for video_id in MOT15_SEQUENCES:
        assert tracks_of(out, video_id).equals(tracks_of(mot15_run, video_id))
        assert tracks_of(out, video_id).num_rows > 300
    before = {s.video_id: s for s in read_videos_table(mot15_run)}
    after = {s.video_id: s for s in read_videos_table(out)}
    assert list(after) == list(before)
    for video_id, summary in after.items():
        old = before[video_id]
        assert (summary.status, summary.frames, summary.detections, summary.tracks) == (
            old.status, old.frames, old.detections, old.tracks,
        )  # fmt: skip
    assert json.loads((out / "run.json").read_text())["configuration"]["retracked_from"]


def test_retrack_with_another_tracker_and_conf(mot15_run, tmp_path):
    out = tmp_path / "ocsort"
    result = tracklake(
        "retrack", str(mot15_run), "-o", str(out), "--tracker", "ocsort", "--conf", "0.1"
    )
    assert result.returncode == 0, result.stderr
    before = {s.video_id: s.detections for s in read_videos_table(mot15_run)}
    after = {s.video_id: s.detections for s in read_videos_table(out)}
    assert all(after[v] > before[v] for v in before)  # conf 0.1 keeps more than 0.25
    assert read_footer(out / "tracks" / "TUD-Campus.parquet").tracker["tracker_type"] == "ocsort"


def test_retrack_refuses_what_it_cannot_do(mot15_run, tmp_path):
    botsort = tracklake(
        "retrack", str(mot15_run), "-o", str(tmp_path / "b"), "--tracker", "botsort"
    )
    assert botsort.returncode == 2 and "gmc_method: none" in botsort.stderr
    low = tracklake("retrack", str(mot15_run), "-o", str(tmp_path / "c"), "--conf", "0.01")
    assert low.returncode == 2 and "--conf" in low.stderr
    unsaved = tracklake("retrack", str(tmp_path), "-o", str(tmp_path / "d"))
    assert unsaved.returncode == 2 and "--save-detections" in unsaved.stderr
