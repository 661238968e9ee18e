"""OUT on a real, full file system (a small tmpfs): writes fail with ENOSPC and leave no
half-written file; a run stops with one line, keeps a row for every input, and resumes."""

from __future__ import annotations

import errno

import duckdb
import numpy as np
import pytest
from cli_runs import kill_tree, start_tracklake, tracklake, wait_for
from testkit import fill, mounted_tmpfs

from tracklake.io.errors import is_disk_full
from tracklake.io.footer import Footer
from tracklake.io.store import TrackFileWriter, write_videos_table
from tracklake.types import Tracks, VideoRef, VideoSummary


def videos_table(out, column: str) -> dict[str, str]:
    return dict(duckdb.sql(f"SELECT video_id, {column} FROM '{out}/videos.parquet'").fetchall())


def many_tracks(n: int, seed: int) -> Tracks:
    rng = np.random.default_rng(seed)
    boxes = np.sort(rng.uniform(0, 640, (n, 4)).astype(np.float32), axis=1)
    return Tracks(
        track_ids=np.arange(1, n + 1), boxes=boxes, scores=rng.uniform(0, 1, n),
        class_ids=np.zeros(n), detection_index=np.arange(n),
    )  # fmt: skip


def test_a_tracks_file_that_does_not_fit_leaves_nothing(tmp_path):
    with mounted_tmpfs(tmp_path / "out", 256 << 10) as out:
        with (
            pytest.raises(OSError) as caught,
            TrackFileWriter(out, "cam", {0: "person"}, Footer()) as w,
        ):
            for frame in range(100):
                w.append(frame, frame / 25, many_tracks(1000, seed=frame))
        assert caught.value.errno == errno.ENOSPC and is_disk_full(caught.value)
        assert list((out / "tracks").iterdir()) == []


def test_a_videos_table_that_does_not_fit_leaves_nothing(tmp_path):
    summaries = [VideoSummary.failed(VideoRef(f"v{i}", f"/v{i}.mp4"), "x" * 500) for i in range(50)]
    with mounted_tmpfs(tmp_path / "out", 64 << 10) as out:
        fill(out, 0)
        with pytest.raises(OSError) as caught:
            write_videos_table(summaries, out)
        assert is_disk_full(caught.value)
        assert sorted(p.name for p in out.iterdir()) == ["filler"]


@pytest.mark.slow
def test_a_run_out_of_space_stops_records_every_video_and_resumes(
    tmp_path, shared_videos, yolov8n_weights
):
    videos = tmp_path / "videos"
    videos.mkdir()
    names = [f"cam{i}" for i in range(6)]
    for name in names:
        (videos / f"{name}.mp4").symlink_to(shared_videos / "TUD-Campus.mp4")
    args = ["track", str(videos), "--model", str(yolov8n_weights), "--no-progress",
            "--workers", "1", "--videos-per-worker", "1", "--vid-stride", "3"]  # fmt: skip
    with mounted_tmpfs(tmp_path / "disk", 2 << 20) as disk:
        out = disk / "out"
        driver = start_tracklake(*args, "-o", str(out))
        try:
            wait_for(lambda: list((out / "tracks").glob("*.parquet")), 300, "a first video")
            filler = fill(disk, leave_bytes=0)
            _, stderr = driver.communicate(timeout=600)
        finally:
            if driver.poll() is None:
                kill_tree(driver)
        assert driver.returncode == 3, stderr
        errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "no space left on OUT" in errors[0], stderr
        assert "videos.parquet and track_summary.parquet not written" in errors[0]
        assert "Traceback" not in stderr
        assert not list((out / "tracks").glob(".*")), "a half-written file was left"
        finished = {path.stem for path in (out / "tracks").glob("*.parquet")}
        assert 1 <= len(finished) < len(names)
        # No room for videos.parquet: the summary names every video that did not finish.
        for name in set(names) - finished:
            assert f"failed: {name}: " in stderr
        assert "not run: the job stopped: no space left on OUT" in stderr

        filler.unlink()
        rerun = tracklake(*args, "-o", str(out), timeout=600)
        assert rerun.returncode == 0, rerun.stderr
        statuses = videos_table(out, "status")
        assert sorted(statuses) == names
        assert {statuses[name] for name in finished} == {"skipped"}
        assert {statuses[name] for name in set(names) - finished} == {"ok"}
