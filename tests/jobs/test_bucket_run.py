"""``tracklake track -o s3://...`` end to end on moto's S3 server: a run whose driver is killed
mid-run is resumed from the bucket, every video ends exactly once, and every command reads
the run from the bucket."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest
from cli_runs import kill_tree, start_tracklake, tracklake, wait_for
from testkit import SHARED_DIR

pytestmark = pytest.mark.slow

BUCKET = "tracklake-runs"
VIDEOS = ("TUD-Campus", "TUD-Stadtmitte")


def stored_keys(client, prefix: str, finished: bool = False) -> list[str]:
    """The keys under ``prefix`` (not folder markers); ``finished``: not temporary ones."""
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    keys = sorted(item["Key"] for item in listing if not item["Key"].endswith("/"))
    return [key for key in keys if not key.endswith(".tmp")] if finished else keys


def read_table(client, key: str, bucket: str = BUCKET):
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


@pytest.fixture(scope="module")
def bucket_run(s3_server, shared_videos, yolov8n_weights):
    """Both TUD videos tracked into the bucket with saved detections, the driver killed once
    the first video is written, then run again: ``(boto3 client, OUT)``."""
    s3_server.create_bucket(Bucket=BUCKET)
    out = f"s3://{BUCKET}/runs/tud"
    args = [
        "track", *(str(shared_videos / f"{name}.mp4") for name in VIDEOS), "-o", out,
        "--vid-stride", "2", "--classes", "person", "--save-detections",
        "--model", str(yolov8n_weights), "--no-progress",
    ]  # fmt: skip
    driver = start_tracklake(*args)
    try:
        first = wait_for(
            lambda: stored_keys(s3_server, "runs/tud/tracks/", finished=True), 300, "a video"
        )
    finally:
        kill_tree(driver)
    assert len(first) == 1 and "runs/tud/videos.parquet" not in stored_keys(s3_server, "runs/")
    result = tracklake(*args)
    assert result.returncode == 0, result.stderr
    return s3_server, out


def test_every_video_ends_exactly_once_after_the_driver_was_killed(bucket_run):
    client, _ = bucket_run
    expected = {
        "runs/tud/run.json",
        "runs/tud/track_summary.parquet",
        "runs/tud/videos.parquet",
        *(
            f"runs/tud/{folder}/{name}.parquet"
            for folder in ("tracks", "detections")
            for name in VIDEOS
        ),
    }
    assert set(stored_keys(client, "runs/tud/")) == expected  # no temporary object left
    videos = read_table(client, "runs/tud/videos.parquet").to_pydict()
    assert sorted(videos["video_id"]) == sorted(VIDEOS)
    assert sorted(videos["status"]) == ["ok", "skipped"]  # the one written before the kill


def test_every_command_reads_the_run_from_the_bucket(bucket_run, tmp_path):
    client, out = bucket_run
    info = tracklake("info", out)
    assert info.returncode == 0 and "person:" in info.stdout, info.stderr
    query = tracklake(
        "query", out, "SELECT count(DISTINCT video_id) AS n FROM tracks", "--format", "csv"
    )
    assert query.stdout == "n\n2\n", query.stderr
    exported = tracklake("export-mot", out, "-o", str(tmp_path / "mot"))
    assert sorted(p.name for p in (tmp_path / "mot").iterdir()) == [f"{n}.txt" for n in VIDEOS]
    assert exported.returncode == 0
    scored = tracklake("eval", out, "--gt", str(SHARED_DIR / "mot15"))
    assert scored.returncode == 0 and "COMBINED" in scored.stdout, scored.stderr
    assert "runs/tud/eval.parquet" in stored_keys(client, "runs/tud/")
    sheet = tmp_path / "sheet.png"
    drawn = tracklake("render", out, "--sheet", "-o", str(sheet), "--frames-per-video", "2")
    assert drawn.returncode == 0 and sheet.stat().st_size > 0, drawn.stderr


def test_retrack_from_a_bucket_into_a_bucket_gives_the_runs_tracks(bucket_run):
    client, out = bucket_run
    again = f"s3://{BUCKET}/runs/retracked"
    result = tracklake("retrack", out, "-o", again, "--tracker", "bytetrack")
    assert result.returncode == 0, result.stderr
    for name in VIDEOS:
        ours = read_table(client, f"runs/retracked/tracks/{name}.parquet")
        theirs = read_table(client, f"runs/tud/tracks/{name}.parquet")
        columns = ["frame", "track_id", "x1", "y1", "x2", "y2", "score"]
        assert ours.select(columns).equals(theirs.select(columns))


def test_a_missing_bucket_is_refused_before_anything_runs(
    s3_server, shared_videos, yolov8n_weights
):
    result = tracklake(
        "track", str(shared_videos / "TUD-Campus.mp4"), "-o", "s3://no-such-bucket/run",
        "--model", str(yolov8n_weights),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: output s3://no-such-bucket/run: bucket no-such-bucket does not exist"
    ]


def finished_videos(client) -> list[str]:
    listing = client.list_objects_v2(Bucket="flaky-bucket", Prefix="run/tracks/")
    return [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".parquet")]


def test_a_bucket_unreachable_mid_run_fails_the_rest_and_resume_retries_them(
    shared_videos, yolov8n_weights, monkeypatch
):
    """The S3 server goes away once the first video is written: the other video fails with
    the cause, the run ends with one line saying OUT cannot be written, and once the server
    is back the same command keeps the first video and redoes the other."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    import boto3

    client = boto3.client("s3")
    client.create_bucket(Bucket="flaky-bucket")
    args = [
        "track", *(str(shared_videos / f"{name}.mp4") for name in VIDEOS),
        "-o", "s3://flaky-bucket/run", "--vid-stride", "2", "--model", str(yolov8n_weights),
        "--no-progress",
    ]  # fmt: skip
    driver = start_tracklake(*args)
    try:
        wait_for(lambda: finished_videos(client), 300, "a finished video")
        server.stop()  # moto keeps the bucket in this process: a new server finds it again
        _, stderr = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            kill_tree(driver)
    assert driver.returncode == 1, stderr
    assert stderr.strip().splitlines()[-1].startswith("Error: cannot write to OUT (s3://flaky")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        result = tracklake(*args)
        assert result.returncode == 0, result.stderr
        statuses = read_table(client, "run/videos.parquet", bucket="flaky-bucket")["status"]
        assert sorted(statuses.to_pylist()) == ["ok", "skipped"]
    finally:
        server.stop()
