"""The footer record: every field round-trips through the file's text entries."""

from __future__ import annotations

import math
from dataclasses import fields

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracklake.io.footer import Footer, read_footer
from tracklake.types import VideoStatus, VideoSummary

SUMMARY = VideoSummary(
    "cam/1", "s3://bucket/cam 1.mp4", VideoStatus.PARTIAL, "truncated: the file ends early",
    120, 29.97, 1920, 1080, 4.004, 311, 7, 12.5,
)  # fmt: skip
EVERY_FIELD = Footer(
    model="yolov8n.pt", config_sha256="c" * 64, model_sha256="m" * 64, worker_node="node",
    worker_host="host", video_id="cam/1", source_path="s3://bucket/cam 1.mp4",
    source_size=1_234_567, source_mtime=1_700_000_000.123456, tracker={"tracker_type": "ocsort",
    "delta_t": 3, "inertia": 0.2}, vid_stride=3, detections_conf=0.25, detections_floor=0.05,
    fps=29.97, class_names={0: "person", 2: "car"}, summary=SUMMARY, frames=40,
    retracked_from_conf=0.1, camera_motion="sparseOptFlow",
)  # fmt: skip


def test_every_field_has_its_own_key_and_round_trips():
    metadata = EVERY_FIELD.to_metadata()
    assert len(metadata) == len(fields(Footer))
    assert all(key.startswith("tracklake.") for key in metadata)
    assert all(isinstance(value, str) for value in metadata.values())
    assert Footer.from_metadata(metadata) == EVERY_FIELD


def test_unset_fields_have_no_entry_and_read_back_unset():
    metadata = Footer(video_id="a").to_metadata()
    assert set(metadata) == {"tracklake.schema_version", "tracklake.version", "tracklake.video_id"}
    read = Footer.from_metadata({"tracklake.video_id": "a", "someone.else": "x"})
    assert read.video_id == "a" and read.model is None and read.schema_version is None


def test_read_footer_reads_what_a_parquet_file_carries(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table({"x": [1]}).replace_schema_metadata(EVERY_FIELD.to_metadata())
    pq.write_table(table, path)
    assert read_footer(path) == EVERY_FIELD


def test_require_names_the_missing_key():
    assert Footer(fps=25.0).require("fps") == 25.0
    with pytest.raises(KeyError, match=r"tracklake\.frames"):
        Footer(fps=25.0).require("frames")


finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(st.characters(blacklist_categories=("Cs",)))


@given(
    size=st.integers(min_value=-1, max_value=2**63 - 1),
    mtime=finite,
    conf=finite,
    path=text,
    names=st.dictionaries(st.integers(0, 10_000), text, max_size=20),
)
def test_values_round_trip_exactly(size, mtime, conf, path, names):
    footer = Footer(source_size=size, source_mtime=mtime, source_path=path,
                    detections_conf=conf, class_names=names)  # fmt: skip
    read = Footer.from_metadata(footer.to_metadata())
    assert read == footer
    assert math.copysign(1, read.source_mtime) == math.copysign(1, mtime)  # -0.0 stays -0.0
