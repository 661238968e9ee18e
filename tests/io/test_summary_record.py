"""One record of a video's summary, the same in a footer and in ``videos.parquet``."""

from __future__ import annotations

from dataclasses import fields, replace

import pyarrow.parquet as pq

from tracklake.io import layout
from tracklake.io.store import read_videos_table, write_videos_table
from tracklake.io.summary_record import SUMMARY_COLUMNS, summary_from_record, summary_record
from tracklake.types import VideoRef, VideoStatus, VideoSummary

SUMMARY = VideoSummary("cam", "/v/cam.mp4", VideoStatus.PARTIAL, "cut at frame 9", 9, 25.0,
                       640, 480, 0.36, 12, 3, 1.5, extra={"site": "north"})  # fmt: skip


def test_the_columns_are_the_summarys_fields_less_extra_and_out_of_space():
    names = [field.name for field in fields(VideoSummary)]
    assert SUMMARY_COLUMNS.names == [n for n in names if n not in ("extra", "out_of_space")]
    assert summary_record(SUMMARY)["status"] == "partial"


def test_a_record_reads_back_as_the_summary_less_the_unrecorded_fields():
    failed = VideoSummary.failed(VideoRef("cam", "/v/cam.mp4"), "full", out_of_space=True)
    assert summary_from_record(summary_record(failed)) == replace(failed, out_of_space=False)
    assert summary_from_record(summary_record(SUMMARY), SUMMARY.extra) == SUMMARY


def test_videos_parquet_holds_the_record_then_the_manifest_columns(tmp_path):
    write_videos_table([SUMMARY], tmp_path)
    table = pq.read_table(tmp_path / layout.VIDEOS)
    assert table.schema.names == [*SUMMARY_COLUMNS.names, "site"]
    assert table.schema.field("width").type == SUMMARY_COLUMNS.field("width").type
    assert read_videos_table(tmp_path) == [SUMMARY]
