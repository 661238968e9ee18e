"""``tracklake render OUT --video ID``: one video with its tracks drawn, as an H.264 mp4."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracklake.render.draw import draw_tracks
from tracklake.render.encode import H264Writer
from tracklake.render.source import decoded_frames, even_size, find_video, open_video
from tracklake.render.video_tracks import VideoTracks


def render_video(
    out_dir: str | Path,
    video_id: str,
    output: str | Path,
    start_s: float,
    end_s: float | None,
    classes: Sequence[str] | None,
    scale: float,
    trail_s: float,
) -> int:
    """Write ``output`` (mp4, H.264, the source's frame rate): every frame whose time is in
    ``[start_s, end_s)``, each track drawn as its box, ``"<id> <class>"`` and a trail of its
    centres over the last ``trail_s`` seconds, in the track's colour. Frames without tracks
    are written plainly. Returns the number of frames written. ``tracklake.api.render_video``
    has the defaults.

    Args:
        classes: draw only these classes (names, or ids as strings); ``None`` draws all.
        scale: output size relative to the source (rounded to even pixels).

    Raises:
        FileNotFoundError, KeyError: no such run or video.
        ValueError: the time range holds no frame.
        VideoError: the source video can no longer be decoded.
    """
    summary = find_video(out_dir, video_id)
    if start_s >= summary.duration_s or (end_s is not None and end_s <= start_s):
        raise ValueError(
            f"no frames of {video_id!r} ({summary.duration_s:.2f} s) from {start_s} s to {end_s} s"
        )
    tracks = VideoTracks(out_dir, video_id, classes)
    width, height = even_size(summary.width * scale, summary.height * scale)
    factor = (width / summary.width, height / summary.height)
    with (
        open_video(summary) as decoder,
        H264Writer(output, decoder.info.fps, width, height) as writer,
    ):
        for image, frame, time_s in decoded_frames(decoder, (width, height)):
            if end_s is not None and time_s >= end_s:
                break
            if time_s >= start_s:
                draw_tracks(image, tracks.at(frame, trail_s), factor)
                writer.write(image)
    return writer.frames
