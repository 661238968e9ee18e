"""Handing videos to worker processes, a bounded number in flight each, and collecting them.

Plain Python over a ``WorkerPool``: ``ray_workers`` adapts its Ray actors to it, tests use
fake workers. A worker process can die (killed, out of memory, a crash in native code) with
several videos in flight, and nothing says which of them killed it. So a death counts
against a video only when the video was the worker's only one; the videos of a shared death
are *suspects*, run again one at a time on an otherwise idle worker, where a death is theirs
alone. A video that kills its worker on every try is failed after ``max_attempts`` deaths of
its own, and the videos that shared a worker with it finish as if nothing had happened.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tracklake.types import VideoRef, VideoSummary


class WorkerDied(Exception):
    """The worker process tracking the video died; the message says how, when known."""


class WorkerRestarting(Exception):
    """The video reached its worker while the worker was restarting: it never ran."""


class WorkerPool(Protocol):
    """Worker processes numbered ``0 .. size - 1``, each tracking several videos at once."""

    size: int

    def submit(self, worker: int, ref: VideoRef) -> Hashable:
        """Start tracking ``ref`` on ``worker``; returns a handle for ``wait`` and ``result``."""
        ...

    def wait(self, tasks: Sequence[Hashable]) -> Hashable:
        """Block until one of ``tasks`` has finished; return it."""
        ...

    def result(self, task: Hashable, ref: VideoRef) -> VideoSummary:
        """The summary of a finished task (a ``failed`` one for an error of the video).

        Raises:
            WorkerDied: the worker process died while the task was in flight.
            WorkerRestarting: the task was sent while its worker was restarting.
        """
        ...

    def wait_until_alive(self, worker: int) -> None:
        """Block until a dead ``worker`` has been restarted and answers."""
        ...


@dataclass(frozen=True)
class _Task:
    ref: VideoRef
    worker: int
    life: int  # how many deaths of its worker the dispatcher had seen when it was sent


class Dispatcher:
    """Runs a queue of videos over a ``WorkerPool``; see the module docstring.

    Args:
        pool: the workers.
        videos_in_flight_per_worker: videos sent to one worker and not yet finished.
        max_attempts: deaths of its worker a video may cause before it is failed.
        stop_reason: after each finished video, why the job must stop now (``None``: go on);
            the videos not yet sent are then recorded as failed, ``not run: <reason>``.
        on_done: called with each summary as it arrives.
        known_errors: why some videos will fail (they cannot be opened), said on their rows
            instead of ``not run`` when the job stops before they run.
    """

    def __init__(
        self,
        pool: WorkerPool,
        videos_in_flight_per_worker: int,
        max_attempts: int,
        stop_reason: Callable[[VideoSummary], str | None],
        on_done: Callable[[VideoSummary], None],
        known_errors: Mapping[str, str] | None = None,
    ):
        self.pool = pool
        self.videos_in_flight_per_worker = videos_in_flight_per_worker
        self.max_attempts = max_attempts
        self.stop_reason = stop_reason
        self.on_done = on_done
        self.known_errors = dict(known_errors or {})

    def run(self, videos: Sequence[VideoRef]) -> dict[str, VideoSummary]:
        """Track ``videos`` in the order given (retries go first); one summary each."""
        self._queue = deque(videos)
        self._in_flight: dict[Hashable, _Task] = {}
        self._load = [0] * self.pool.size
        self._alone = [False] * self.pool.size  # running a suspect: nothing else joins it
        self._lives = [0] * self.pool.size
        self._suspects: set[str] = set()
        self._deaths: Counter[str] = Counter()
        results: dict[str, VideoSummary] = {}
        stop: str | None = None
        while (self._queue and stop is None) or self._in_flight:
            if stop is None:
                self._send()
            handle = self.pool.wait(list(self._in_flight))
            task = self._in_flight.pop(handle)
            self._load[task.worker] -= 1
            self._alone[task.worker] &= self._load[task.worker] > 0
            summary = self._collect(handle, task)
            if summary is None:
                continue
            results[task.ref.video_id] = summary
            self.on_done(summary)
            stop = stop or self.stop_reason(summary)
        for ref in self._queue:
            error = self.known_errors.get(ref.video_id) or f"not run: {stop}"
            results[ref.video_id] = VideoSummary.failed(ref, error)
            self.on_done(results[ref.video_id])
        return results

    def _send(self) -> None:
        """Send queued videos while a worker can take the first of them."""
        while self._queue:
            ref = self._queue[0]
            suspect = ref.video_id in self._suspects
            worker = self._free_worker(suspect)
            if worker is None:
                return
            self._queue.popleft()
            handle = self.pool.submit(worker, ref)
            self._in_flight[handle] = _Task(ref, worker, self._lives[worker])
            self._load[worker] += 1
            self._alone[worker] = suspect

    def _free_worker(self, suspect: bool) -> int | None:
        """The least loaded worker that can take a video; a suspect needs an idle one."""
        if suspect:
            free = [w for w in range(self.pool.size) if self._load[w] == 0]
        else:
            free = [
                w
                for w in range(self.pool.size)
                if not self._alone[w] and self._load[w] < self.videos_in_flight_per_worker
            ]
        return min(free, key=self._load.__getitem__, default=None)

    def _collect(self, handle: Hashable, task: _Task) -> VideoSummary | None:
        """The task's summary; ``None`` when its video goes back to the queue."""
        try:
            return self.pool.result(handle, task.ref)
        except WorkerRestarting:
            self.pool.wait_until_alive(task.worker)
            self._queue.appendleft(task.ref)
            return None
        except WorkerDied as error:
            return self._after_death(task, str(error))

    def _after_death(self, task: _Task, cause: str) -> VideoSummary | None:
        """Charge the death to ``task``'s video if it ran alone, then retry or fail it."""
        video_id = task.ref.video_id
        if task.life == self._lives[task.worker]:  # the first news of this death
            self._lives[task.worker] += 1
            sharing = [
                other.ref.video_id
                for other in self._in_flight.values()
                if other.worker == task.worker and other.life == task.life
            ]
            if sharing:
                self._suspects.update([video_id, *sharing])
            else:
                self._deaths[video_id] += 1
            self.pool.wait_until_alive(task.worker)
        # else: a video that shared this death, already made a suspect
        if self._deaths[video_id] >= self.max_attempts:
            return VideoSummary.failed(
                task.ref,
                f"its worker process died {self._deaths[video_id]} times while tracking it "
                f"alone: {cause}",
            )
        self._queue.appendleft(task.ref)
        return None
