"""A run's source video, found through ``OUT/videos.parquet`` and opened for decoding."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tracklake.io import layout
from tracklake.io.object_store import open_store
from tracklake.io.store import read_videos_table
from tracklake.io.video import VideoDecoder
from tracklake.io.video_source import local_video
from tracklake.types import VideoRef, VideoSummary

_DECODE_BATCH = 16


def renderable_videos(out_dir: str | Path) -> list[VideoSummary]:
    """The videos of ``videos.parquet`` that opened and have a tracks file, in its order.

    Raises:
        FileNotFoundError: ``out_dir`` holds no ``videos.parquet``.
    """
    summaries = read_videos_table(out_dir)
    if not summaries:
        raise FileNotFoundError(f"{out_dir}: no videos.parquet: not a tracklake output folder")
    store = open_store(out_dir)
    return [
        summary
        for summary in summaries
        if summary.width > 0 and store.exists(layout.video_key(layout.TRACKS, summary.video_id))
    ]


def find_video(out_dir: str | Path, video_id: str) -> VideoSummary:
    """The summary of ``video_id``.

    Raises:
        FileNotFoundError: not a run's folder.
        KeyError: the run has no renderable video of that id (the message lists some).
    """
    videos = {summary.video_id: summary for summary in renderable_videos(out_dir)}
    if video_id not in videos:
        known = ", ".join(sorted(videos)[:10]) or "none"
        raise KeyError(f"{out_dir}: no tracked video {video_id!r} (videos: {known})")
    return videos[video_id]


def even_size(width: float, height: float) -> tuple[int, int]:
    """``(width, height)`` rounded to even pixels (at least 2), as H.264 yuv420p needs."""
    return max(2, 2 * round(width / 2)), max(2, 2 * round(height / 2))


@contextmanager
def open_video(summary: VideoSummary) -> Iterator[VideoDecoder]:
    """A decoder of the video's file (a local copy of an object's or a URL's; a presigned
    URL's query was never recorded, so such a URL must be readable without it).

    Raises:
        VideoError: the file can no longer be opened.
    """
    with local_video(VideoRef(summary.video_id, summary.path)) as path:
        yield VideoDecoder(path)


def decoded_frames(
    decoder: VideoDecoder, size: tuple[int, int]
) -> Iterator[tuple[np.ndarray, int, float]]:
    """``(image, frame, time_s)`` for every frame in order; ``image`` is ``(H, W, 3)`` uint8
    RGB scaled to ``size = (W, H)``, writable (drawn on in place)."""
    for batch in decoder.batches(_DECODE_BATCH, size=size):
        for image, frame, time_s in zip(batch.frames, batch.indices, batch.times_s, strict=True):
            yield image, int(frame), float(time_s)
