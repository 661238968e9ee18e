"""The footer entries of the files a run writes, key by key, as readers outside tracklake
see them (DuckDB, pyarrow): the output contract, spelled out here on purpose."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import numpy as np
import pyarrow.parquet as pq
import pytest
from testkit import cpu_plan

import tracklake
from tracklake.config import PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.io.footer import Footer
from tracklake.jobs.pipeline import track_video
from tracklake.jobs.retrack import retrack_run
from tracklake.tracking import load_tracker_config
from tracklake.types import Detections, VideoRef

CLASS_NAMES = {0: "person", 1: "bicycle"}
RUN_FOOTER = Footer(model="m.pt", config_sha256="f" * 64, model_sha256="a" * 64,
                    worker_node="node-1", worker_host="host-1")  # fmt: skip


class TwoBoxes:
    """A fake detector: a person moving right and a low-scoring bicycle in every frame."""

    class_names = CLASS_NAMES

    def input_frame_size(self, frame_size):
        return frame_size

    def detect(self, frames, frame_sizes=None):
        return [
            Detections([[10.0 + i, 100, 50 + i, 200], [300, 300, 340, 400]], [0.9, 0.2], [0, 1])
            for i in range(len(frames))
        ]


def raw_footer(path) -> dict[str, str]:
    raw = pq.ParquetFile(path).metadata.metadata
    return {k.decode(): v.decode() for k, v in raw.items() if k != b"ARROW:schema"}


def summary_entries(summary) -> dict:
    entries = asdict(summary)
    entries.pop("extra"), entries.pop("out_of_space")  # the manifest's and the job's
    return {**entries, "status": str(summary.status)}


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_videos):
    out = tmp_path_factory.mktemp("out")
    video = shared_videos / "TUD-Campus.mp4"
    config = PipelineConfig(DetectorConfig(), load_tracker_config("bytetrack"), vid_stride=2,
                            save_detections=True)  # fmt: skip
    summary = track_video(
        VideoRef("campus", str(video)), TwoBoxes(), cpu_plan(config), out, RUN_FOOTER
    )
    stat = os.stat(video)
    tracks_entries = {
        "tracklake.schema_version": "1",
        "tracklake.version": tracklake.__version__,
        "tracklake.model": "m.pt",
        "tracklake.config_sha256": "f" * 64,
        "tracklake.model_sha256": "a" * 64,
        "tracklake.worker_node": "node-1",
        "tracklake.worker_host": "host-1",
        "tracklake.video_id": "campus",
        "tracklake.source_path": str(video),
        "tracklake.source_size": str(stat.st_size),
        "tracklake.source_mtime": repr(stat.st_mtime),
        "tracklake.tracker": json.dumps(config.tracker.to_dict(), sort_keys=True),
        "tracklake.vid_stride": "2",
    }
    return out, summary, tracks_entries


def test_tracks_file_footer(run):
    out, summary, expected = run
    footer = raw_footer(out / "tracks" / "campus.parquet")
    assert json.loads(footer.pop("tracklake.summary")) == summary_entries(summary)
    assert footer == expected


def test_detections_file_footer(run):
    out, summary, tracks_entries = run
    footer = raw_footer(out / "detections" / "campus.parquet")
    assert json.loads(footer.pop("tracklake.summary")) == summary_entries(summary)
    assert footer == {
        **tracks_entries,
        "tracklake.detections.conf": "0.25",
        "tracklake.detections.floor": "0.05",
        "tracklake.fps": "25.0",
        "tracklake.class_names": '{"0": "person", "1": "bicycle"}',
        "tracklake.frames": "36",  # 71 frames at stride 2
    }


def test_retracked_file_footer(run, tmp_path):
    out, _, tracks_entries = run
    ocsort = load_tracker_config("ocsort")
    (summary,) = retrack_run(out, tmp_path, ocsort, min_score=0.1)
    footer = raw_footer(tmp_path / "tracks" / "campus.parquet")
    assert json.loads(footer.pop("tracklake.summary")) == summary_entries(summary)
    saved = raw_footer(out / "detections" / "campus.parquet")
    # The saved detections' footer, less the fingerprint and summary of the run that saved
    # them, with the new tracker and the conf they were kept above.
    del saved["tracklake.config_sha256"], saved["tracklake.summary"]
    assert footer == {
        **saved,
        "tracklake.tracker": json.dumps(ocsort.to_dict(), sort_keys=True),
        "tracklake.retracked_from_conf": "0.1",
    }
    assert saved["tracklake.vid_stride"] == tracks_entries["tracklake.vid_stride"]


def test_what_is_written_reads_back_as_the_same_record(run):
    out, summary, _ = run
    for path in (out / "tracks" / "campus.parquet", out / "detections" / "campus.parquet"):
        metadata = raw_footer(path)
        footer = Footer.from_metadata(metadata)
        assert footer.to_metadata() == metadata
        assert footer.summary == summary and footer.source_path.endswith("TUD-Campus.mp4")
    detections = Footer.from_metadata(raw_footer(out / "detections" / "campus.parquet"))
    assert detections.class_names == CLASS_NAMES and np.isclose(detections.fps, 25.0)
