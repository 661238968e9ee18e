"""Reporting a job's progress: a live bar on a terminal, plain lines otherwise, a summary."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from tracklake.types import VideoStatus, VideoSummary

_BAR_WIDTH = 24
_LINE_INTERVAL_S = 10.0


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Counts finished videos and frames; draws a bar or prints a line now and then.

    Args:
        total_videos: videos in the job (skipped ones included).
        total_frames: frames the job will decode, for the ETA; 0 when unknown.
        live: a redrawn bar (a terminal) instead of periodic lines; ``None`` asks the stream.
        enabled: ``False`` prints only the final summary.
        stream: where to write; standard error by default.
    """

    def __init__(
        self,
        total_videos: int,
        total_frames: int = 0,
        live: bool | None = None,
        enabled: bool = True,
        stream: TextIO | None = None,
    ):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.enabled = enabled
        self.total_videos = total_videos
        self.total_frames = total_frames
        self.started = time.monotonic()
        self.videos_done = 0
        self.frames_done = 0
        self._last_line = self.started

    def video_done(self, summary: VideoSummary) -> None:
        self.videos_done += 1
        if summary.status != VideoStatus.SKIPPED:
            self.frames_done += summary.frames
        if not self.enabled:
            return
        now = time.monotonic()
        if self.live:
            self.stream.write("\r" + self.status_line(now))
            self.stream.flush()
        elif now - self._last_line >= _LINE_INTERVAL_S or self.videos_done == self.total_videos:
            self.stream.write(self.status_line(now) + "\n")
            self._last_line = now

    def status_line(self, now: float) -> str:
        elapsed = now - self.started
        rate = self.frames_done / elapsed if elapsed > 0 else 0.0
        done = self.videos_done / self.total_videos if self.total_videos else 1.0
        bar = "#" * round(done * _BAR_WIDTH)
        line = (
            f"[{bar:<{_BAR_WIDTH}}] {self.videos_done}/{self.total_videos} videos"
            f"  {rate:.1f} frames/s"
        )
        if self.total_frames and rate > 0:
            line += f"  ETA {_clock((self.total_frames - self.frames_done) / rate)}"
        return line

    def finish(self, summaries: Sequence[VideoSummary]) -> str:
        """Print and return the final summary of the job."""
        elapsed = time.monotonic() - self.started
        counts = Counter(str(summary.status) for summary in summaries)
        frames = sum(s.frames for s in summaries if s.status != VideoStatus.SKIPPED)
        tracks = sum(summary.tracks for summary in summaries)
        lines = [
            f"videos: {len(summaries)} ("
            + ", ".join(f"{counts[str(status)]} {status}" for status in VideoStatus)
            + ")",
            f"frames: {frames} in {elapsed:.1f} s ({frames / max(elapsed, 1e-9):.1f} frames/s), "
            f"tracks: {tracks}",
        ]
        lines += [
            f"{summary.status}: {summary.video_id}: {summary.error}"
            for summary in summaries
            if summary.status in (VideoStatus.FAILED, VideoStatus.PARTIAL)
        ]
        text = "\n".join(lines)
        if self.live and self.enabled:
            self.stream.write("\n")
        self.stream.write(text + "\n")
        self.stream.flush()
        return text
