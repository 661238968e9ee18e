"""A run without Ray: ``run_job`` with a dispatch function that tracks in this process.

The run's own logic (checks, order, resume, footers, tables) is exercised on real videos and
the real model check; only the detector is a fake, and the dispatch runs the videos in turn.
"""

from __future__ import annotations

import pytest
from testkit import cpu_plan, tracks_path

from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.hashing import file_sha256
from tracklake.io.footer import read_footer
from tracklake.io.store import read_videos_table
from tracklake.jobs.pipeline import track_video
from tracklake.jobs.run import run_job
from tracklake.jobs.work import Work
from tracklake.tracking import load_tracker_config
from tracklake.types import Detections, VideoRef, VideoStatus, VideoSummary


class OnePerson:
    """A fake detector: one person walking right."""

    def __init__(self):
        self.class_names = {0: "person"}

    def input_frame_size(self, frame_size):
        return frame_size

    def detect(self, frames, frame_sizes=None):
        return [Detections([[10.0 + i, 100, 50 + i, 200]], [0.9], [0]) for i in range(len(frames))]


class InProcess:
    """A dispatch function: tracks the videos here, one after another, in the order handed."""

    def __init__(self):
        self.handed: list[list[str]] = []

    def __call__(self, work: Work) -> dict[str, VideoSummary]:
        self.handed.append([ref.video_id for ref in work.order.videos])
        summaries = {}
        for ref in work.order.videos:
            summary = track_video(
                ref, OnePerson(), cpu_plan(work.pipeline), work.out_dir, work.footer
            )
            summaries[ref.video_id] = summary
            work.on_done(summary)
        return summaries


@pytest.fixture
def inputs(tmp_path, shared_videos, yolov8n_weights):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    refs = [
        VideoRef("street", str(shared_videos / "street-8frames-mpeg4.mp4")),
        VideoRef("campus", str(shared_videos / "TUD-Campus.mp4")),
        VideoRef("empty", str(empty)),
        VideoRef("stadtmitte", str(shared_videos / "TUD-Stadtmitte.mp4")),
    ]
    detector = DetectorConfig(model=str(yolov8n_weights), device="cpu")
    pipeline = PipelineConfig(detector, load_tracker_config("bytetrack"), vid_stride=4)
    return refs, pipeline, tmp_path / "out"


@pytest.mark.slow
def test_the_run_orders_records_and_resumes_through_its_dispatch(inputs, yolov8n_weights):
    refs, pipeline, out = inputs
    dispatch = InProcess()
    job = JobConfig(progress=False)
    result = run_job(refs, out, pipeline, job, dispatch=dispatch)
    # What cannot be opened first, then longest first: 179, 71 and 8 frames.
    assert dispatch.handed == [["empty", "stadtmitte", "campus", "street"]]
    assert [s.video_id for s in result.summaries] == [ref.video_id for ref in refs]
    assert [s.status for s in result.summaries] == [
        VideoStatus.OK, VideoStatus.OK, VideoStatus.FAILED, VideoStatus.OK]  # fmt: skip
    assert not result.all_ok and not result.out_full
    assert read_videos_table(out) == result.summaries
    footer = read_footer(tracks_path(out, "campus"))
    fingerprint = pipeline.fingerprint(file_sha256(yolov8n_weights))
    assert (footer.model, footer.config_sha256) == (str(yolov8n_weights), fingerprint)

    again = run_job(refs, out, pipeline, job, dispatch=dispatch)
    assert dispatch.handed[1] == ["empty"]  # only what did not finish ok runs again
    statuses = [s.status for s in again.summaries]
    assert statuses == [VideoStatus.SKIPPED, VideoStatus.SKIPPED, VideoStatus.FAILED,
                        VideoStatus.SKIPPED]  # fmt: skip
