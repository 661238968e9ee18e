"""Progress reporting: a live bar, plain lines, and the final summary."""

from __future__ import annotations

import io

from tracklake.jobs.progress import Progress
from tracklake.types import VideoRef, VideoStatus, VideoSummary


def summary(video_id: str, status=VideoStatus.OK, frames=100, error="") -> VideoSummary:
    return VideoSummary(video_id, f"/v/{video_id}.mp4", status, error, frames, 25.0, 640, 480,
                        frames / 25, 10, 2, 1.0)  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_bar_on_a_terminal():
    stream = Terminal()
    progress = Progress(total_videos=4, total_frames=400, stream=stream)
    assert progress.live
    progress.video_done(summary("a"))
    progress.video_done(summary("b"))
    drawn = stream.getvalue()
    assert drawn.count("\r") == 2 and "\n" not in drawn
    assert "2/4 videos" in drawn and "frames/s" in drawn and "ETA" in drawn
    assert "[############            ]" in drawn


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(total_videos=3, stream=stream)
    assert not progress.live
    progress.video_done(summary("a"))  # within the first 10 s: no line yet
    assert stream.getvalue() == ""
    progress.video_done(summary("b"))
    progress.video_done(summary("c"))  # the last video always prints
    assert stream.getvalue().count("\n") == 1 and "3/3 videos" in stream.getvalue()


def test_final_summary_names_failed_and_partial_videos():
    stream = io.StringIO()
    progress = Progress(total_videos=4, enabled=False, stream=stream)
    summaries = [
        summary("a"),
        summary("b", VideoStatus.SKIPPED),
        summary("c", VideoStatus.PARTIAL, 40, "/v/c.mp4: truncated: cut"),
        VideoSummary.failed(VideoRef("d", "/v/d.mp4"), "/v/d.mp4: empty: the file is 0 bytes"),
    ]
    text = progress.finish(summaries)
    assert text.splitlines()[0] == "videos: 4 (1 ok, 1 partial, 1 failed, 1 skipped)"
    assert text.splitlines()[1].startswith("frames: 140 in ")  # skipped frames not counted
    assert "partial: c: /v/c.mp4: truncated: cut" in text
    assert "failed: d: /v/d.mp4: empty: the file is 0 bytes" in text
    assert stream.getvalue() == text + "\n"
