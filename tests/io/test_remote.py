"""Videos in S3, read from a real S3-compatible server (moto's server mode) on 127.0.0.1."""

from __future__ import annotations

import subprocess
import tempfile

import numpy as np
import pytest
from testkit import mounted_tmpfs

from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.remote import local_copy, remote_stat
from tracklake.io.scratch import scratch_dir
from tracklake.io.sources import resolve_sources
from tracklake.io.video import VideoDecoder

BUCKET = "tracklake-videos"


@pytest.fixture(scope="module")
def bucket(s3_server, shared_videos):
    s3_server.create_bucket(Bucket=BUCKET)
    s3_server.upload_file(str(shared_videos / "TUD-Campus.mp4"), BUCKET, "day 1/TUD Campus.mp4")
    s3_server.upload_file(str(shared_videos / "TUD-Stadtmitte.mp4"), BUCKET, "day 1/cam/b.mp4")
    s3_server.put_object(Bucket=BUCKET, Key="day 1/readme.txt", Body=b"not a video")
    return f"s3://{BUCKET}"


def test_s3_video_uri_decodes(bucket):
    uri = f"{bucket}/day 1/TUD Campus.mp4"
    (ref,) = resolve_sources([uri])
    assert ref.video_id == "TUD Campus" and ref.path == uri
    size, mtime = remote_stat(uri)
    assert size > 100_000 and mtime > 0
    with local_copy(uri) as local_path:
        decoder = VideoDecoder(local_path, num_threads=1)
        frames = np.concatenate([batch.frames for batch in decoder.batches(32)])
    assert frames.shape == (71, 480, 640, 3)


def test_s3_prefix_lists_videos_recursively(bucket):
    refs = resolve_sources([f"{bucket}/day 1/"])
    assert {ref.video_id: ref.path for ref in refs} == {
        "TUD Campus": f"{bucket}/day 1/TUD Campus.mp4",
        "cam/b": f"{bucket}/day 1/cam/b.mp4",
    }


def test_s3_uri_in_a_manifest(bucket, tmp_path):
    manifest = tmp_path / "remote.txt"
    manifest.write_text(f"{bucket}/day 1/cam/b.mp4\n")
    (ref,) = resolve_sources([str(manifest)])
    assert ref.path == f"{bucket}/day 1/cam/b.mp4"
    assert ref.video_id == "day 1/cam/b"


def test_missing_s3_object(bucket):
    with pytest.raises(VideoError) as caught, local_copy(f"{bucket}/nope.mp4"):
        pass
    assert caught.value.kind == VideoErrorKind.MISSING
    assert "nope.mp4" in str(caught.value)


@pytest.fixture
def scratch_root(tmp_path, monkeypatch):
    """The temporary folder, hence the scratch folder, moved into ``tmp_path``."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_copies_live_in_the_scratch_folder_and_stale_ones_are_removed(bucket, scratch_root):
    folder = scratch_dir()
    assert folder.parent == scratch_root
    stale = folder / f"copy-{dead_pid()}-k1ll3d.mp4"
    stale.write_bytes(b"left by a killed run")
    other_run = subprocess.Popen(["sleep", "60"])
    try:
        live = folder / f"copy-{other_run.pid}-busy.mp4"
        live.write_bytes(b"another run's copy, still in use")
        unknown = folder / "notes.txt"
        unknown.write_text("not a copy")
        with local_copy(f"{bucket}/day 1/cam/b.mp4") as local_path:
            assert not stale.exists()
            assert local_path.startswith(str(folder / "copy-"))
        assert sorted(p.name for p in folder.iterdir()) == sorted([live.name, unknown.name])
    finally:
        other_run.kill()
        other_run.wait()


def test_a_copy_that_cannot_fit_fails_before_copying(bucket, scratch_root, monkeypatch):
    with mounted_tmpfs(scratch_root / "small", 512 << 10) as small:
        monkeypatch.setattr(tempfile, "tempdir", str(small))
        with pytest.raises(VideoError) as caught, local_copy(f"{bucket}/day 1/TUD Campus.mp4"):
            pass
        assert caught.value.kind == VideoErrorKind.UNREADABLE
        assert "no room to copy it: it is 0.9 MB" in str(caught.value)
        assert list(scratch_dir().iterdir()) == []
