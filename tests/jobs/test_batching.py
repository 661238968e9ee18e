"""Several videos share one detector's forward passes, each getting back its own detections."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tracklake.jobs.batching import SharedBatcher
from tracklake.types import Detections


class StampReader:
    """A fake detector: one box per frame whose x1 is the frame's first pixel value."""

    def __init__(self):
        self.class_names = {0: "stamp"}
        self.pass_sizes: list[int] = []
        self.lock = threading.Lock()

    def detect(self, frames, frame_sizes=None):
        with self.lock:  # a model runs one pass at a time; catch the batcher if it does not
            self.pass_sizes.append(len(frames))
            return [Detections([[float(f[0, 0, 0]), 0, 1, 1]], [1.0], [0]) for f in frames]


def stamped(video: int, start: int, count: int) -> list[np.ndarray]:
    """Frames whose first pixel encodes (video, frame): value = video * 50 + frame."""
    return [np.full((4, 4, 3), video * 50 + i, np.uint8) for i in range(start, start + count)]


def test_concurrent_videos_share_passes_and_get_their_own_frames_in_order():
    model = StampReader()
    batcher = SharedBatcher(model, batch=12, gather_s=0.05)
    results: dict[int, list[float]] = {}

    def video(number: int) -> None:
        seen = []
        for start in range(0, 40, 4):  # chunks of 4 frames, in order
            for detections in batcher.detect(stamped(number, start, 4)):
                seen.append(float(detections.boxes[0, 0]))
        results[number] = seen

    threads = [threading.Thread(target=video, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for number in range(3):
        assert results[number] == [number * 50 + i for i in range(40)]
    assert sum(model.pass_sizes) == 120
    assert max(model.pass_sizes) <= 12
    assert len(model.pass_sizes) < 30  # chunks were merged: 30 requests in fewer passes


def test_a_lone_caller_is_served_without_waiting_for_others():
    model = StampReader()
    batcher = SharedBatcher(model, batch=32)
    detections = batcher.detect(stamped(1, 0, 5))
    assert [float(d.boxes[0, 0]) for d in detections] == [50, 51, 52, 53, 54]
    assert model.pass_sizes == [5]
    assert batcher.class_names == {0: "stamp"}


def test_a_failed_pass_raises_in_every_caller_it_served():
    class Broken(StampReader):
        def detect(self, frames, frame_sizes=None):
            raise RuntimeError("CUDA error: an illegal memory access")

    batcher = SharedBatcher(Broken(), batch=8)
    with pytest.raises(RuntimeError, match="illegal memory access"):
        batcher.detect(stamped(0, 0, 3))
