"""The real job from the command line: embedded Ray, real YOLOv8n, real videos, DuckDB."""

from __future__ import annotations

import os
import shutil
import signal
import time

import duckdb
import pyarrow.parquet as pq
import pytest
from cli_runs import kill_tree, start_tracklake, tracklake, video_worker, wait_for

from tracklake.io.footer import read_footer

pytestmark = pytest.mark.slow


def model_args(weights) -> list[str]:
    return ["--model", str(weights), "--no-progress"]


def statuses(out) -> dict[str, str]:
    rows = duckdb.sql(f"SELECT video_id, status FROM '{out}/videos.parquet'").fetchall()
    return dict(rows)


def assert_one_complete_file_per_video(out, video_ids) -> None:
    files = sorted(p.name for p in (out / "tracks").iterdir())
    assert files == sorted(f"{video_id}.parquet" for video_id in video_ids)
    duplicated = duckdb.sql(
        f"SELECT video_id, frame, track_id, count(*) AS n FROM '{out}/tracks/*.parquet' "
        "GROUP BY ALL HAVING n > 1"
    ).fetchall()
    assert duplicated == []


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory, shared_videos, yolov8n_weights):
    out = tmp_path_factory.mktemp("shared-run") / "out"
    result = tracklake("track", str(shared_videos), "-o", str(out), *model_args(yolov8n_weights))
    return out, result


def test_shared_videos_are_tracked(shared_run):
    out, result = shared_run
    assert result.returncode == 0, result.stderr
    assert statuses(out) == {
        "TUD-Campus": "ok",
        "TUD-Stadtmitte": "ok",
        "pedestrians-1080p": "ok",
        "street-8frames-mpeg4": "ok",
    }
    assert "videos: 4 (4 ok, 0 partial, 0 failed, 0 skipped)" in result.stderr
    assert "Token authentication" not in result.stderr  # Ray's banner, meaningless here
    people = dict(
        duckdb.sql(
            f"SELECT video_id, count(DISTINCT track_id) FROM '{out}/tracks/*.parquet' "
            "WHERE class_name = 'person' GROUP BY 1"
        ).fetchall()
    )
    # TUD-Campus shows 6 to 8 pedestrians at once, TUD-Stadtmitte about 10.
    assert people["TUD-Campus"] >= 5 and people["TUD-Stadtmitte"] >= 8
    frames = dict(duckdb.sql(f"SELECT video_id, frames FROM '{out}/videos.parquet'").fetchall())
    assert frames == {"TUD-Campus": 71, "TUD-Stadtmitte": 179, "pedestrians-1080p": 302,
                      "street-8frames-mpeg4": 8}  # fmt: skip
    footer = read_footer(out / "tracks" / "TUD-Campus.parquet")
    assert footer.model_sha256.startswith("f59b3d83")


def test_info_and_export_of_the_run(shared_run, tmp_path):
    out, _ = shared_run
    info = tracklake("info", str(out))
    assert info.returncode == 0
    assert "videos: 4  ok: 4" in info.stdout and "person:" in info.stdout
    exported = tracklake("export-mot", str(out), "-o", str(tmp_path / "mot"))
    assert exported.returncode == 0
    first = (tmp_path / "mot" / "TUD-Campus.txt").read_text().splitlines()[0].split(",")
    assert first[0] == "1" and first[-3:] == ["-1", "-1", "-1"]


def test_the_run_writes_its_track_summary(shared_run):
    out, _ = shared_run
    per_video = duckdb.sql(
        f"SELECT video_id, count(*), sum(frames) FROM '{out}/track_summary.parquet' GROUP BY 1"
    ).fetchall()
    tracks = duckdb.sql(
        f"SELECT video_id, count(DISTINCT track_id), count(*) FROM '{out}/tracks/*.parquet' "
        "GROUP BY 1"
    ).fetchall()
    assert sorted(per_video) == sorted(tracks) and len(per_video) >= 3


def test_rerun_skips_finished_videos(shared_run, shared_videos, yolov8n_weights):
    out, _ = shared_run
    before = {p.name: p.stat().st_mtime_ns for p in (out / "tracks").iterdir()}
    result = tracklake("track", str(shared_videos), "-o", str(out), *model_args(yolov8n_weights))
    assert result.returncode == 0, result.stderr
    assert set(statuses(out).values()) == {"skipped"}
    assert {p.name: p.stat().st_mtime_ns for p in (out / "tracks").iterdir()} == before


def test_bad_videos_fail_with_reasons_and_the_rest_succeed(
    tmp_path, shared_videos, bad_videos, yolov8n_weights
):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(shared_videos / "TUD-Campus.mp4", folder / "good.mp4")
    for name in ("empty", "random", "index_at_end_cut", "index_at_front_cut", "audio_only"):
        shutil.copy(bad_videos[name], folder / f"{name}.mp4")
    out = tmp_path / "out"
    result = tracklake(
        "track", str(folder), "-o", str(out), "--vid-stride", "4", *model_args(yolov8n_weights)
    )
    assert result.returncode == 1
    rows = {
        video_id: (status, error)
        for video_id, status, error in duckdb.sql(
            f"SELECT video_id, status, error FROM '{out}/videos.parquet'"
        ).fetchall()
    }
    assert rows["good"] == ("ok", "")
    assert rows["empty"] == ("failed", f"{folder / 'empty.mp4'}: empty: the file is 0 bytes")
    assert rows["random"][0] == "failed" and ": not a video:" in rows["random"][1]
    assert rows["audio_only"][0] == "failed" and "no video stream" in rows["audio_only"][1]
    assert rows["index_at_end_cut"][0] == "failed" and "moov" in rows["index_at_end_cut"][1]
    assert rows["index_at_front_cut"][0] == "partial"
    assert "failed: empty:" in result.stderr and "partial: index_at_front_cut:" in result.stderr


def test_changed_settings_reprocess_and_overwrite_starts_over(
    tmp_path, shared_videos, yolov8n_weights
):
    out = tmp_path / "out"
    args = ["track", str(shared_videos / "TUD-Campus.mp4"), "-o", str(out), "--vid-stride", "5",
            *model_args(yolov8n_weights)]  # fmt: skip
    assert tracklake(*args).returncode == 0
    assert statuses(out) == {"TUD-Campus": "ok"}
    assert tracklake(*args).returncode == 0
    assert statuses(out) == {"TUD-Campus": "skipped"}
    assert tracklake(*args, "--conf", "0.5").returncode == 0
    assert statuses(out) == {"TUD-Campus": "ok"}
    conf = pq.read_table(out / "tracks" / "TUD-Campus.parquet", columns=["score"]).column(0)
    assert min(conf.to_pylist()) >= 0.5 - 1e-6
    assert tracklake(*args, "--conf", "0.5", "--overwrite").returncode == 0
    assert statuses(out) == {"TUD-Campus": "ok"}
    assert tracklake(*args, "--conf", "0.5", "--no-resume").returncode == 0
    assert statuses(out) == {"TUD-Campus": "ok"}
    assert tracklake(*args, "--classes", "person,backpack").returncode == 0  # names
    assert statuses(out) == {"TUD-Campus": "ok"}
    classes = duckdb.sql(f"SELECT DISTINCT class_name FROM '{out}/tracks/*.parquet'").fetchall()
    assert {name for (name,) in classes} <= {"person", "backpack"}
    unknown = tracklake(*args, "--classes", "person,unicorn")
    assert unknown.returncode == 2 and "unicorn not among the model's classes" in unknown.stderr


def test_asking_for_missing_gpus_is_an_immediate_error(tmp_path, shared_videos, yolov8n_weights):
    started = time.monotonic()
    result = tracklake(
        "track", str(shared_videos / "TUD-Campus.mp4"), "-o", str(tmp_path / "out"),
        "--gpus-per-worker", "1", *model_args(yolov8n_weights), timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "GPUs; the cluster has 0" in result.stderr
    assert time.monotonic() - started < 120


def test_driver_killed_mid_run_then_rerun_completes(tmp_path, shared_videos, yolov8n_weights):
    out = tmp_path / "out"
    args = ["track", str(shared_videos), "-o", str(out), "--vid-stride", "2",
            *model_args(yolov8n_weights)]  # fmt: skip
    driver = start_tracklake(*args)
    try:
        wait_for(lambda: list((out / "tracks").glob("*.parquet")), 300, "a first tracks file")
    finally:
        kill_tree(driver)
    assert not (out / "videos.parquet").exists()
    result = tracklake(*args)
    assert result.returncode == 0, result.stderr
    video_ids = ["TUD-Campus", "TUD-Stadtmitte", "pedestrians-1080p", "street-8frames-mpeg4"]
    assert_one_complete_file_per_video(out, video_ids)
    assert set(statuses(out).values()) <= {"ok", "skipped"}
    assert "skipped" in statuses(out).values()
    assert not list((out / "tracks").glob(".*"))


def test_worker_killed_mid_video_is_retried(tmp_path, shared_videos, yolov8n_weights):
    out = tmp_path / "out"
    driver = start_tracklake(
        "track", str(shared_videos / "TUD-Stadtmitte.mp4"), "-o", str(out),
        *model_args(yolov8n_weights),
    )  # fmt: skip
    try:
        worker = wait_for(lambda: video_worker(driver), 120, "the worker process")
        # Let it load the model and get into the video, then kill it.
        wait_for(lambda: worker.cpu_times().user > 8, 120, "the worker to be busy")
        assert not (out / "tracks" / "TUD-Stadtmitte.parquet").exists()  # mid-video
        worker.send_signal(signal.SIGKILL)
        _, stderr = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            kill_tree(driver)
    assert driver.returncode == 0, stderr
    assert statuses(out) == {"TUD-Stadtmitte": "ok"}
    assert_one_complete_file_per_video(out, ["TUD-Stadtmitte"])
    frames = duckdb.sql(f"SELECT count(DISTINCT frame) FROM '{out}/tracks/*.parquet'").fetchall()
    assert frames[0][0] > 170
    assert os.path.exists(out / "run.json")


def test_fail_fast_stops_and_still_records_every_video(
    tmp_path, bad_videos, shared_videos, yolov8n_weights
):
    folder = tmp_path / "bad"
    folder.mkdir()
    names = ["empty", "random", "index_at_end_cut", "audio_only"]
    for name in names:
        shutil.copy(bad_videos[name], folder / f"{name}.mp4")
    shutil.copy(shared_videos / "TUD-Stadtmitte.mp4", folder / "good.mp4")
    out = tmp_path / "out"
    result = tracklake("track", str(folder), "-o", str(out), "--fail-fast", "--workers", "1",
                       "--videos-per-worker", "1", *model_args(yolov8n_weights))  # fmt: skip
    assert result.returncode == 1
    rows = duckdb.sql(f"SELECT video_id, status, error FROM '{out}/videos.parquet'").fetchall()
    errors = {video_id: error for video_id, _, error in rows}
    assert sorted(errors) == sorted([*names, "good"])
    assert {status for _, status, _ in rows} == {"failed"}
    # The videos that cannot be opened go first and each says why; the good one never ran.
    assert errors.pop("good").startswith("not run")
    for name, error in errors.items():
        assert error.startswith(str(folder / f"{name}.mp4")), error
