"""OUT/track_summary.parquet: one row per (video, track), checked against a hand-built run."""

from __future__ import annotations

import shutil

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tracklake.cli import main
from tracklake.io import layout
from tracklake.io.footer import Footer
from tracklake.io.store import TrackFileWriter, write_videos_table
from tracklake.io.track_summary import TRACK_SUMMARY_SCHEMA, write_track_summary
from tracklake.types import VideoRef, VideoSummary

# (video, track, class_id, class_name, first/last frame, first/last time, duration, frames,
#  mean score, mean width, mean height, path length, mean speed): see TINY_ROWS in conftest.
EXPECTED = [
    ("cam1", 1, 0, "person", 0, 4, 0.0, 0.4, 0.4, 5, 0.7, 10.0, 20.0, 20.0, 50.0),
    ("cam1", 2, 2, "car", 0, 1, 0.0, 0.1, 0.1, 2, 0.9, 10.0, 10.0, 20.0, 200.0),
    ("cam2", 1, 0, "person", 0, 120, 0.0, 120.0, 120.0, 5, 0.8, 10.0, 10.0, 0.0, 0.0),
    ("cam2", 2, 1, "bicycle", 70, 130, 70.0, 130.0, 60.0, 2, 0.6, 10.0, 10.0, 30.0, 0.5),
    ("cam2", 3, 0, "person", 100, 100, 100.0, 100.0, 0.0, 1, 0.4, 10.0, 10.0, 0.0, None),
]


def test_summary_matches_the_hand_computed_rows(tiny_run):
    table = pq.read_table(tiny_run / layout.TRACK_SUMMARY)
    assert table.schema.equals(TRACK_SUMMARY_SCHEMA)
    rows = [tuple(row.values()) for row in table.to_pylist()]
    assert len(rows) == len(EXPECTED)
    for row, expected in zip(rows, EXPECTED, strict=True):
        assert row[:6] == expected[:6]
        assert row[9] == expected[9]
        assert row[6:] == pytest.approx(expected[6:], abs=1e-6)


def test_a_run_without_tracks_gets_an_empty_typed_file(tmp_path):
    with TrackFileWriter(tmp_path, "empty", {0: "person"}, Footer()):
        pass  # a video in which nothing was tracked
    failed = VideoSummary.failed(VideoRef("broken", "/videos/broken.mp4"), "missing: no file")
    write_videos_table([failed], tmp_path)
    table = pq.read_table(write_track_summary(tmp_path))
    assert table.num_rows == 0 and table.schema.equals(TRACK_SUMMARY_SCHEMA)
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_info_rebuild_rewrites_the_summary(tiny_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(tiny_run, out)
    (out / layout.TRACK_SUMMARY).unlink()
    result = CliRunner().invoke(main, ["info", str(out), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "videos: 2  ok: 2" in result.stdout
    rebuilt = pq.read_table(out / layout.TRACK_SUMMARY)
    assert rebuilt.equals(pq.read_table(tiny_run / layout.TRACK_SUMMARY))
