"""Saved detections that every tracker can retrack: a run whose tracker matched on appearance
and compensated camera motion (BoT-SORT, ``with_reid: true``, GMC ``sparseOptFlow``) saves
each detection's embedding and each frame's camera warp, and ``retrack`` and ``tune`` use them
without the frames.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from cli_runs import tracklake
from testkit import camera_motion_path, detections_path, read_saved

pytestmark = pytest.mark.slow


def tracks_of(out, video_id="TUD-Campus"):
    return pq.read_table(out / "tracks" / f"{video_id}.parquet")


def test_embeddings_and_camera_motion_are_saved(appearance_run):
    path = detections_path(appearance_run, "TUD-Campus")
    saved = read_saved(path)
    assert saved.has_embeddings and saved.camera_motion == "sparseOptFlow"
    assert saved.camera_warps.shape == (71, 2, 3)
    np.testing.assert_array_equal(saved.camera_warps[0], np.eye(2, 3))  # nothing before frame 0
    assert not np.allclose(saved.camera_warps[1:], np.eye(2, 3))  # the camera moves a little
    width, rows, norms = duckdb.sql(
        f"SELECT min(len(embedding)), count(*), "
        f"min(sqrt(list_sum(list_transform(embedding, lambda v: v * v)))) FROM '{path}'"
    ).fetchall()[0]
    assert (width, rows) == (64, saved.table.num_rows)  # YOLOv8n's model: auto, one per row
    assert norms > 0
    assert (
        str(pq.read_schema(path).field("embedding").type)
        == "fixed_size_list<element: halffloat>[64]"
    )
    warp_frames = pq.read_table(camera_motion_path(path))["frame"].to_pylist()
    assert warp_frames == list(range(71))


def test_retrack_with_the_runs_tracker_reproduces_its_tracks(appearance_run, trackers, tmp_path):
    result = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / "again"),
                       "--tracker", trackers["botsort-reid"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    again = tracks_of(tmp_path / "again")
    assert again.num_rows > 300
    assert again.equals(tracks_of(appearance_run))  # float16 embeddings, same decisions


@pytest.mark.parametrize("name", ["tracktrack-reid", "deepocsort-reid"])
def test_every_appearance_tracker_retracks_the_saved_run(appearance_run, trackers, name, tmp_path):
    with_appearance = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / "a"),
                                "--tracker", trackers[name])  # fmt: skip
    assert with_appearance.returncode == 0, with_appearance.stderr
    blind = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / "b"),
                      "--tracker", name.removesuffix("-reid"))  # fmt: skip
    assert blind.returncode == 0, blind.stderr
    ids = [set(tracks_of(tmp_path / f)["track_id"].to_pylist()) for f in ("a", "b")]
    assert ids[0] and ids[1] and not tracks_of(tmp_path / "a").equals(tracks_of(tmp_path / "b"))


def test_camera_motion_replayed_matters(appearance_run, tmp_path):
    """BoT-SORT with the saved warps differs from BoT-SORT without compensation."""
    (tmp_path / "no-gmc.yaml").write_text("tracker_type: botsort\ngmc_method: none\n")
    for name, tracker in (("gmc", "botsort"), ("none", str(tmp_path / "no-gmc.yaml"))):
        result = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / name),
                           "--tracker", tracker)  # fmt: skip
        assert result.returncode == 0, result.stderr
    gmc, none = tracks_of(tmp_path / "gmc"), tracks_of(tmp_path / "none")
    assert gmc.num_rows > 300 and none.num_rows > 300
    assert not np.allclose(gmc["x1"].to_numpy()[:100], none["x1"].to_numpy()[:100])


def test_retrack_refuses_what_the_run_did_not_save(appearance_run, mot15_run, trackers, tmp_path):
    orb = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / "orb"),
                    "--tracker", trackers["botsort-orb"])  # fmt: skip
    assert orb.returncode == 2
    assert "camera motion found by sparseOptFlow" in orb.stderr and "'orb'" in orb.stderr
    reid = tracklake("retrack", str(mot15_run), "-o", str(tmp_path / "reid"),
                     "--tracker", trackers["deepocsort-reid"])  # fmt: skip
    assert reid.returncode == 2 and "no appearance embeddings" in reid.stderr
    other = tracklake("retrack", str(appearance_run), "-o", str(tmp_path / "other"),
                      "--tracker", trackers["botsort-other-reid"])  # fmt: skip
    assert other.returncode == 2
    assert "embeddings of model 'auto'" in other.stderr and "'reid-cls.pt'" in other.stderr


def test_files_stay_as_small_as_before_without_appearance_or_camera_motion(mot15_run):
    path = detections_path(mot15_run, "TUD-Campus")  # ByteTrack: neither
    assert "embedding" not in pq.read_schema(path).names
    assert not camera_motion_path(path).parent.exists()
    saved = read_saved(path)
    assert (saved.camera_motion, saved.camera_warps, saved.has_embeddings) == (None, None, False)


def test_tune_keeps_appearance_and_camera_motion_it_has_saved(appearance_run, campus, trackers,
                                                              tmp_path):  # fmt: skip
    result = tracklake("tune", "--gt", str(campus), "--detections", str(appearance_run),
                       "--tracker", trackers["botsort-reid"], "--trials", "3",
                       "-o", str(tmp_path / "tuned"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    trials = pq.read_table(tmp_path / "tuned" / "trials.parquet")
    assert "appearance_thresh" in trials.column_names  # searched: with_reid is on
    written = yaml.safe_load(next((tmp_path / "tuned").glob("*.yaml")).read_text())
    assert (written["with_reid"], written["gmc_method"]) == (True, "sparseOptFlow")
