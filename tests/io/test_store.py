"""The track store round trip, read back by DuckDB, Polars and pandas."""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit import tracks_path

import tracklake
from tracklake.io.footer import Footer, read_footer
from tracklake.io.mot import export_mot, export_mot_run
from tracklake.io.store import (
    TRACK_SCHEMA,
    TrackFileWriter,
    read_videos_table,
    write_run_json,
    write_videos_table,
)
from tracklake.io.video_ids import safe_file_stem
from tracklake.types import Tracks, VideoRef, VideoStatus, VideoSummary

CLASS_NAMES = {0: "person", 2: "car"}
FOOTER = Footer(model="yolov8n.pt", source_size=123)


def frame_tracks(track_ids, class_id=0) -> Tracks:
    n = len(track_ids)
    boxes = np.array([[10 * t, 20, 10 * t + 5, 30] for t in track_ids], np.float32)
    return Tracks(
        track_ids, boxes.reshape(n, 4), np.full(n, 0.9), np.full(n, class_id), np.arange(n)
    )


def write_video(out_dir, video_id, frames: dict[int, list[int]], extras=None) -> None:
    with TrackFileWriter(out_dir, video_id, CLASS_NAMES, FOOTER) as writer:
        for frame, ids in frames.items():
            tracks = frame_tracks(ids)
            writer.append(frame, frame / 25.0, tracks, extras(tracks) if extras else None)


@pytest.fixture
def run(tmp_path):
    """Two videos: 'a' with tracks 1-3, 'cam/b' with tracks 1-2."""
    write_video(tmp_path, "a", {0: [1, 2], 1: [1, 2, 3], 5: [3]})
    write_video(tmp_path, "cam/b", {2: [1], 3: [1, 2]})
    return tmp_path


def test_duckdb_reads_the_store(run):
    import duckdb

    rows = duckdb.sql(
        f"SELECT video_id, count(DISTINCT track_id) FROM '{run}/tracks/*.parquet' "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert rows == [("a", 3), ("cam/b", 2)]


def test_polars_and_pandas_read_the_store(run):
    import pandas as pd
    import polars as pl

    frame = pl.scan_parquet(f"{run}/tracks/*.parquet").collect()
    assert frame.height == 9
    assert frame.schema["frame"] == pl.Int32 and frame.schema["class_id"] == pl.Int16
    table = pd.read_parquet(tracks_path(run, "a"))
    assert table["time_s"].tolist() == [0, 0, 0.04, 0.04, 0.04, 0.2]
    assert set(table["class_name"]) == {"person"}


def test_tracks_file_schema_and_metadata(run):
    path = tracks_path(run, "a")
    schema = pq.read_schema(path)
    assert schema.remove_metadata().equals(TRACK_SCHEMA)
    footer = read_footer(path)
    assert (footer.model, footer.source_size) == (FOOTER.model, FOOTER.source_size)
    assert footer.schema_version == "1" and footer.version == tracklake.__version__
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_video_without_tracks_still_gets_a_readable_file(tmp_path):
    write_video(tmp_path, "quiet", {0: [], 1: []})
    table = pq.read_table(tracks_path(tmp_path, "quiet"))
    assert table.num_rows == 0 and table.schema.remove_metadata().equals(TRACK_SCHEMA)


def test_interrupted_write_leaves_nothing_a_reader_picks_up(tmp_path):
    import duckdb

    write_video(tmp_path, "done", {0: [1]})
    with (
        pytest.raises(KeyboardInterrupt),
        TrackFileWriter(tmp_path, "crash", CLASS_NAMES, FOOTER) as writer,
    ):
        writer.append(0, 0.0, frame_tracks([1, 2]))
        raise KeyboardInterrupt
    assert [p.name for p in (tmp_path / "tracks").iterdir()] == ["done.parquet"]
    # A writer killed mid-write leaves only its hidden temporary file behind.
    writer = TrackFileWriter(tmp_path, "killed", CLASS_NAMES, FOOTER)
    writer.append(0, 0.0, frame_tracks([1]))
    writer._flush()
    assert Path(writer.pending.file).exists()
    count = duckdb.sql(f"SELECT count(*) FROM '{tmp_path}/tracks/*.parquet'").fetchall()
    assert count == [(1,)]


def test_long_video_is_written_in_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr("tracklake.io.store._ROWS_PER_FLUSH", 100)
    write_video(tmp_path, "long", {frame: [1, 2, 3, 4] for frame in range(1000)})
    parquet = pq.ParquetFile(tracks_path(tmp_path, "long"))
    assert parquet.metadata.num_rows == 4000
    assert parquet.metadata.num_row_groups >= 10


def test_keypoint_polygon_and_mask_extras_become_columns(tmp_path):
    def extras(tracks):
        n = len(tracks)
        polygons = np.empty(n, dtype=object)
        polygons[:] = [np.array([[0, 0], [5, 0], [5, 5 + i]], np.float32) for i in range(n)]
        runs = np.empty(n, dtype=object)
        runs[:] = [np.array([10, 5 + i, 85 - i], np.uint32) for i in range(n)]
        return {
            "keypoints": np.full((n, 17, 3), 0.5, np.float32),
            "polygons": polygons,
            "masks_rle": runs,
        }

    write_video(tmp_path, "pose", {0: [1, 2], 1: [1]}, extras)
    table = pq.read_table(tracks_path(tmp_path, "pose")).to_pylist()
    assert len(table) == 3
    assert np.asarray(table[0]["keypoints"]).shape == (17, 3)
    assert table[1]["polygons"] == [[0, 0], [5, 0], [5, 6]]
    assert table[1]["masks_rle"] == [10, 6, 84]
    masks_type = pq.read_schema(tracks_path(tmp_path, "pose")).field("masks_rle").type
    assert masks_type.value_type == pa.int64()


@pytest.mark.parametrize("video_id", ["../../etc/x", "a/b", "..", ".", ".hidden", "x" * 400])
def test_hostile_ids_stay_inside_tracks_folder(tmp_path, video_id):
    path = tracks_path(tmp_path, video_id)
    assert path.parent == tmp_path / "tracks"
    assert not path.name.startswith(".")
    assert len(path.name.encode()) <= 255
    write_video(tmp_path, video_id, {0: [1]})
    assert pq.read_table(path).column("video_id")[0].as_py() == video_id


def test_distinct_ids_get_distinct_file_names():
    rng = np.random.default_rng(7)
    alphabet = [*string.ascii_letters, *"/\\.%:_ -~", "é", "ß", "中"]
    ids = {"".join(rng.choice(alphabet, size=rng.integers(1, 12))) for _ in range(5000)}
    ids |= {"a/b", "a%2Fb", "a_b", "a:b", "a%3Ab"}
    assert len({safe_file_stem(video_id) for video_id in ids}) == len(ids)


def test_videos_table_round_trip_keeps_failures_and_manifest_columns(tmp_path):
    ok = VideoSummary(
        "a", "/v/a.mp4", VideoStatus.OK, "", 71, 25.0, 640, 480, 2.84, 300, 5, 1.5,
        extra={"camera": "north"},
    )  # fmt: skip
    failed = VideoSummary.failed(
        VideoRef("b", "/v/b.mp4", {"camera": "south", "site": 3}), "/v/b.mp4: empty: 0 bytes"
    )
    write_videos_table([ok, failed], tmp_path)
    assert read_videos_table(tmp_path) == [
        VideoSummary(**{**ok.__dict__, "extra": {"camera": "north", "site": None}}),
        failed,
    ]
    import duckdb

    rows = duckdb.sql(f"SELECT video_id, status, error FROM '{tmp_path}/videos.parquet'").fetchall()
    assert rows == [("a", "ok", ""), ("b", "failed", "/v/b.mp4: empty: 0 bytes")]


def test_run_json_holds_configuration_and_versions(tmp_path):
    path = write_run_json(tmp_path, {"detector": {"conf": 0.3}, "sources": ["x"]})
    document = json.loads(Path(path).read_text())
    assert document["configuration"]["detector"] == {"conf": 0.3}
    assert document["versions"]["tracklake"] == tracklake.__version__
    assert document["versions"]["pyarrow"] == pa.__version__


def test_mot_export(run, tmp_path):
    destination = tmp_path / "mot" / "a.txt"
    assert export_mot(tracks_path(run, "a"), destination) == 6
    lines = destination.read_text().splitlines()
    assert lines[0] == "1,1,10.00,20.00,5.00,10.00,0.9000,-1,-1,-1"
    assert lines[-1] == "6,3,30.00,20.00,5.00,10.00,0.9000,-1,-1,-1"
    written = export_mot_run(run, tmp_path / "all")
    assert sorted(path.name for path in written) == ["a.txt", "cam%2Fb.txt"]
