"""A run's output under an ``s3://`` prefix, on moto's S3 server (a real HTTP server): objects
appear only whole, a prefix is a folder, and the checks before a run include the bucket."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pyarrow.parquet as pq
import pytest

from tracklake.io import layout, store
from tracklake.io.footer import Footer
from tracklake.io.object_store import open_store
from tracklake.io.store import TrackFileWriter
from tracklake.jobs.preflight import PreflightError, check_out_dir
from tracklake.jobs.run import prepare_out_dir
from tracklake.types import Tracks

BUCKET = "tracklake-test"


@pytest.fixture(scope="module")
def bucket(s3_server):
    s3_server.create_bucket(Bucket=BUCKET)
    return s3_server


def stored_keys(client, prefix: str = "") -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listing if not item["Key"].endswith("/"))


def one_track(frame: int) -> Tracks:
    box = np.array([[10.0 + frame, 20, 50, 80]])
    return Tracks(np.array([1]), box, np.array([0.9]), np.array([0]), np.array([0]))


def test_an_object_appears_only_whole(bucket):
    out = f"s3://{BUCKET}/whole"
    with mock.patch.object(store, "_ROWS_PER_FLUSH", 1):  # a row group a frame
        with pytest.raises(RuntimeError), TrackFileWriter(out, "cam", {0: "person"}, Footer()) as w:
            w.append(0, 0.0, one_track(0))
            w.append(1, 0.1, one_track(1))  # the first row group is written by now
            raise RuntimeError("the detector failed")
        assert stored_keys(bucket, "whole/") == []
        with TrackFileWriter(out, "cam", {0: "person"}, Footer()) as writer:
            for frame in range(3):
                writer.append(frame, frame / 10, one_track(frame))
            writer.commit()
    assert stored_keys(bucket, "whole/") == ["whole/tracks/cam.parquet"]
    with open_store(out).open(layout.video_key(layout.TRACKS, "cam")) as tracks_file:
        assert pq.read_table(tracks_file)["frame"].to_pylist() == [0, 1, 2]


def test_a_prefix_is_a_folder(bucket):
    for key in ("runs/a/tracks/x.parquet", "runs/ab/tracks/y.parquet", "runs/ab/run.json"):
        bucket.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    run = open_store(f"s3://{BUCKET}/runs/a")
    assert run.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN) == ["tracks/x.parquet"]
    assert not run.exists(layout.RUN)  # runs/ab/run.json is another run's
    run.delete(layout.TRACKS)
    assert stored_keys(bucket, "runs/") == ["runs/ab/run.json", "runs/ab/tracks/y.parquet"]


def test_overwrite_refuses_a_prefix_that_is_not_a_run(bucket):
    bucket.put_object(Bucket=BUCKET, Key="data/notes.csv", Body=b"a,b")
    bucket.put_object(Bucket=BUCKET, Key="data/tracks/keep.parquet", Body=b"x")
    with pytest.raises(PreflightError, match=r"holds files but no run\.json"):
        prepare_out_dir(f"s3://{BUCKET}/data", overwrite=True)
    assert stored_keys(bucket, "data/") == ["data/notes.csv", "data/tracks/keep.parquet"]


def test_overwrite_deletes_only_the_layouts_keys(bucket):
    keys = ["old/run.json", "old/tracks/a.parquet", "old/videos.parquet", "old/notes.txt"]
    for key in keys:
        bucket.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    prepare_out_dir(f"s3://{BUCKET}/old", overwrite=True)
    assert stored_keys(bucket, "old/") == ["old/notes.txt"]


def test_the_bucket_is_checked_before_work(bucket):
    check_out_dir(f"s3://{BUCKET}/fresh")  # writes and deletes a probe
    assert stored_keys(bucket, "fresh/") == []
    with pytest.raises(PreflightError, match="bucket no-such-bucket does not exist"):
        check_out_dir("s3://no-such-bucket/runs/a")
