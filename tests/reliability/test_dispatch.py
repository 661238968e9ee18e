"""The dispatcher with fake workers: who is charged when a worker process dies, when the job
stops, and what the rows of the videos that never ran say."""

from __future__ import annotations

import itertools
from collections import Counter

from tracklake.jobs.dispatch import Dispatcher, WorkerDied, WorkerRestarting
from tracklake.types import VideoRef, VideoStatus, VideoSummary


def ok(ref: VideoRef) -> VideoSummary:
    return VideoSummary(
        video_id=ref.video_id, path=ref.path, status=VideoStatus.OK, error="", frames=10,
        fps=25.0, width=64, height=48, duration_s=0.4, detections=0, tracks=0, seconds=0.1,
    )  # fmt: skip


class FakeWorkers:
    """Workers that finish tasks in the order sent; a ``killer`` video kills its worker, and
    with it every video in flight there. ``restarting`` videos find their worker restarting
    on their first try. ``failing`` videos fail (an error of the video, not a death)."""

    def __init__(self, size, killer=None, restarting=(), failing=()):
        self.size = size
        self.killer = killer
        self.restarting = set(restarting)
        self.failing = set(failing)
        self.handles = itertools.count()
        self.in_flight = {}  # handle -> (worker, ref)
        self.dead = set()  # handles whose worker died while they were in flight
        self.runs = Counter()  # video id -> times sent
        self.alone = Counter()  # video id -> times it was its worker's only video
        self.restarts = 0

    def submit(self, worker, ref):
        handle = next(self.handles)
        self.in_flight[handle] = (worker, ref)
        self.runs[ref.video_id] += 1
        return handle

    def wait(self, tasks):
        return min(tasks)

    def result(self, task, ref):
        worker, _ = self.in_flight.pop(task)
        if task in self.dead:
            raise WorkerDied("the actor died unexpectedly")
        if ref.video_id in self.restarting:
            self.restarting.discard(ref.video_id)
            raise WorkerRestarting
        if ref.video_id == self.killer:
            sharing = {h for h, (w, _) in self.in_flight.items() if w == worker}
            self.alone[ref.video_id] += not sharing
            self.dead |= sharing
            raise WorkerDied("the actor died unexpectedly")
        if ref.video_id in self.failing:
            return VideoSummary.failed(ref, f"{ref.path}: cannot be opened")
        return ok(ref)

    def wait_until_alive(self, worker):
        self.restarts += 1


def refs(n: int) -> list[VideoRef]:
    return [VideoRef(f"v{i}", f"/videos/v{i}.mp4") for i in range(n)]


def dispatch(pool, videos, in_flight=3, max_attempts=3, stop=None, known=None):
    done = []
    dispatcher = Dispatcher(pool, in_flight, max_attempts, stop or (lambda s: None),
                            done.append, known)  # fmt: skip
    results = dispatcher.run(videos)
    assert sorted(s.video_id for s in done) == sorted(results) == sorted(r.video_id for r in videos)
    return results


def test_a_video_that_kills_its_worker_fails_alone_and_the_others_are_not_charged():
    pool = FakeWorkers(size=2, killer="v1")
    results = dispatch(pool, refs(8), max_attempts=3)
    killer = results.pop("v1")
    assert killer.status == VideoStatus.FAILED
    assert "died 3 times while tracking it alone" in killer.error
    assert pool.alone["v1"] == 3  # charged only for the deaths it caused alone
    assert {s.status for s in results.values()} == {VideoStatus.OK}
    # The videos that shared its worker's deaths ran again, without being failed.
    assert max(pool.runs[v] for v in results) == 2


def test_a_lone_video_whose_worker_dies_is_retried_and_charged():
    pool = FakeWorkers(size=1, killer="v0")
    results = dispatch(pool, refs(1), max_attempts=2)
    assert results["v0"].status == VideoStatus.FAILED
    assert pool.runs["v0"] == 2 and pool.restarts == 2


def test_a_video_sent_to_a_restarting_worker_is_resent_without_a_charge():
    pool = FakeWorkers(size=1, restarting={"v0", "v1"})
    results = dispatch(pool, refs(3), max_attempts=1)
    assert {s.status for s in results.values()} == {VideoStatus.OK}
    assert pool.runs == {"v0": 2, "v1": 2, "v2": 1}


def test_a_stop_records_the_videos_not_run_with_the_reason_or_their_known_error():
    pool = FakeWorkers(size=1, failing={"v0"})
    known = {"v0": "/videos/v0.mp4: cannot be opened", "v4": "/videos/v4.mp4: not a video"}

    def stop(summary):
        return "the job stopped at the first failure" if summary.status == "failed" else None

    results = dispatch(pool, refs(5), in_flight=2, stop=stop, known=known)
    assert results["v0"].error == "/videos/v0.mp4: cannot be opened"
    assert results["v1"].status == VideoStatus.OK  # in flight when the job stopped
    assert results["v2"].error == "not run: the job stopped at the first failure"
    assert results["v4"].error == "/videos/v4.mp4: not a video"
    assert sum(pool.runs.values()) == 2
