"""Decoding memory is bounded by design: flat over a long video at full 1080p size behind a
slow consumer, measured in a fresh process from ``/proc/self/smaps_rollup``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import ffmpeg

pytestmark = pytest.mark.slow

COPIES = 8  # of the 302-frame 1080p clip: 2,416 frames, 80 s of video

# Runs track_video over the long video with a detector that asks for full-size frames (no
# decode-time scaling) and takes 2 ms a frame: decoding is faster than this consumer, so a
# decoder that reads ahead without bound would grow by gigabytes (decord held ~130 decoded
# 1080p frames, 0.8 GB, after one read). Prints (frames seen, PSS MB) along the way.
TRACK_SLOWLY = """
import json, sys, time
import numpy as np
from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.io.footer import Footer
from tracklake.jobs.memory import map_large_allocations
from tracklake.jobs.pipeline import track_video
from tracklake.jobs.plan import CPU_DEFAULTS, TrackingPlan, plan_device
from tracklake.tracking import load_tracker_config
from tracklake.types import Detections, VideoRef

def pss_mb():
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024

class SlowFullSize:
    class_names = {0: "person"}
    samples = []
    seen = 0

    def input_frame_size(self, frame_size):
        return frame_size

    def detect(self, frames, frame_sizes=None):
        assert frames.shape[1:3] == (1080, 1920)
        time.sleep(0.002 * len(frames))
        self.seen += len(frames)
        self.samples.append((self.seen, pss_mb()))
        return [Detections([[100.0, 100, 200, 300]], [0.9], [0]) for _ in frames]

map_large_allocations()  # as every worker does
detector = SlowFullSize()
config = PipelineConfig(DetectorConfig(batch=8), load_tracker_config("bytetrack"), decode_threads=2)
plan = TrackingPlan.of(config, plan_device(config, JobConfig(), CPU_DEFAULTS, torch_threads=1))
summary = track_video(VideoRef("long", sys.argv[1]), detector, plan, sys.argv[2], Footer())
print(json.dumps({"frames": summary.frames, "samples": detector.samples}))
"""


@pytest.fixture(scope="module")
def long_1080p_video(tmp_path_factory: pytest.TempPathFactory, shared_videos: Path) -> Path:
    folder = tmp_path_factory.mktemp("long-video")
    listing = folder / "copies.txt"
    clip = shared_videos / "pedestrians-1080p.mp4"
    listing.write_text(f"file '{clip}'\n" * COPIES)
    video = folder / "long-1080p.mp4"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(video))
    return video


def test_memory_is_flat_over_a_long_full_size_video(long_1080p_video, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", TRACK_SLOWLY, str(long_1080p_video), str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    report = json.loads(result.stdout.splitlines()[-1])
    frames, samples = report["frames"], report["samples"]
    assert frames >= COPIES * 300
    early = max(pss for seen, pss in samples if seen <= frames // 4)
    late = max(pss for seen, pss in samples if seen > frames // 4)
    # The default cap is 48 MB of frames ahead of the detector; FFmpeg's own reference
    # frames and the chunk being tracked come on top. The whole video decoded would be
    # 15 GB: growing by 100 MB means something holds frames it should not.
    assert late - early < 100, (early, late)
    assert late < 1200, late
