"""One detector shared by several videos at once, filling each forward pass from all of them.

A worker tracks a few videos concurrently, one thread each. Every thread hands its next chunk
of frames (``PipelineConfig.frames_per_request``) to ``SharedBatcher.detect`` and blocks; the
batcher runs one forward over the chunks of all waiting threads (up to ``batch`` frames) and
hands each thread its own detections. Each video still reaches its own tracker in frame
order, because its thread waits for its chunk.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from tracklake.jobs.pipeline import FrameDetector
from tracklake.types import Detections

Detector = TypeVar("Detector", bound=FrameDetector)


@dataclass
class _Request:
    frames: Sequence[np.ndarray] | np.ndarray
    frame_sizes: Sequence[tuple[int, int]] | None
    done: threading.Event = field(default_factory=threading.Event)
    detections: list[Detections] | None = None
    error: BaseException | None = None


class SharedBatcher(Generic[Detector]):
    """A ``FrameDetector`` that merges concurrent callers' frames into shared forward passes.

    Args:
        detector: the model; only one forward runs at a time.
        batch: most frames per forward pass (a single larger request still runs whole).
        gather_s: how long the thread about to run a forward waits for others to join it
            when the batch is not yet full.
    """

    def __init__(self, detector: Detector, batch: int, gather_s: float = 0.005):
        self.detector = detector
        self.batch = batch
        self.gather_s = gather_s
        self._pending: list[_Request] = []
        self._lock = threading.Condition()
        self._running = False

    @property
    def class_names(self) -> Mapping[int, str]:
        return self.detector.class_names

    def input_frame_size(self, frame_size: tuple[int, int]) -> tuple[int, int]:
        return self.detector.input_frame_size(frame_size)

    def detect(
        self,
        frames: Sequence[np.ndarray] | np.ndarray,
        frame_sizes: Sequence[tuple[int, int]] | None = None,
    ) -> list[Detections]:
        """Detections for ``frames`` (uint8 RGB ``(h, w, 3)`` each, scaled from originals of
        ``frame_sizes``, see ``FrameDetector``), computed in a shared pass.

        The calling thread either waits while another runs a pass that includes its frames,
        or runs the next pass itself for whichever requests are at the front of the queue.
        """
        request = _Request(frames, frame_sizes)
        with self._lock:
            self._pending.append(request)
            self._lock.notify_all()
        while True:
            with self._lock:
                while self._running and not request.done.is_set():
                    self._lock.wait()
                if request.done.is_set():
                    return self._result(request)
                self._running = True
                self._lock.wait_for(lambda: self._pending_frames() >= self.batch, self.gather_s)
                taken = self._take_batch()
            try:
                self._run(taken)
            finally:
                with self._lock:
                    self._running = False
                    self._lock.notify_all()

    def _pending_frames(self) -> int:
        return sum(len(request.frames) for request in self._pending)

    def _take_batch(self) -> list[_Request]:
        """Requests from the front of the queue, whole, up to ``batch`` frames (at least one)."""
        taken: list[_Request] = []
        frames = 0
        while self._pending and (not taken or frames + len(self._pending[0].frames) <= self.batch):
            request = self._pending.pop(0)
            taken.append(request)
            frames += len(request.frames)
        return taken

    def _run(self, requests: list[_Request]) -> None:
        # A lone request goes through as it came: an (N, h, w, 3) array is not copied again.
        frames = (
            requests[0].frames
            if len(requests) == 1
            else [frame for request in requests for frame in request.frames]
        )
        frame_sizes = [
            size
            for request in requests
            for size in (request.frame_sizes or [f.shape[:2] for f in request.frames])
        ]
        try:
            detections = self.detector.detect(frames, frame_sizes)
        except BaseException as error:
            for request in requests:
                request.error = error
                request.done.set()
            return
        start = 0
        for request in requests:
            request.detections = detections[start : start + len(request.frames)]
            start += len(request.frames)
            request.done.set()

    @staticmethod
    def _result(request: _Request) -> list[Detections]:
        if request.error is not None:
            raise request.error
        assert request.detections is not None
        return request.detections
