"""``tracklake render OUT --sheet``: a PNG grid, one row per video, of frames with tracks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tracklake.render.draw import draw_caption, draw_tracks
from tracklake.render.source import decoded_frames, even_size, open_video, renderable_videos
from tracklake.render.video_tracks import VideoTracks
from tracklake.types import VideoSummary


def pick_frames(tracked_frames: np.ndarray, total_frames: int, count: int) -> np.ndarray:
    """``count`` (or fewer) distinct frame indices spread evenly over the video, ascending.

    Taken among the frames that have tracks when there are any (with ``vid_stride`` the
    others have none), else among all ``total_frames``.
    """
    pool = tracked_frames if len(tracked_frames) else np.arange(total_frames)
    positions = np.linspace(0, len(pool) - 1, count).round().astype(int)
    return np.unique(pool[positions]) if len(pool) else pool


def _tiles(
    out_dir: str | Path, summary: VideoSummary, count: int, size: tuple[int, int], classes, trail_s
) -> list[np.ndarray]:
    """Up to ``count`` frames of one video at ``size``, tracks drawn and captioned."""
    tracks = VideoTracks(out_dir, summary.video_id, classes)
    wanted = set(pick_frames(tracks.tracked_frames(), summary.frames, count).tolist())
    factor = (size[0] / summary.width, size[1] / summary.height)
    tiles = []
    with open_video(summary) as decoder:
        for image, frame, time_s in decoded_frames(decoder, size):
            if frame in wanted:
                draw_tracks(image, tracks.at(frame, trail_s), factor)
                draw_caption(image, f"{summary.video_id}  {time_s:.1f} s")
                tiles.append(image)
                if len(tiles) == len(wanted):
                    break
    return tiles


def render_sheet(
    out_dir: str | Path,
    output: str | Path,
    videos: int,
    frames_per_video: int,
    tile_width: int,
    classes: Sequence[str] | None,
    trail_s: float,
) -> tuple[int, int]:
    """Write ``output`` (PNG): a grid with one row per video (the first ``videos`` that were
    tracked, in ``videos.parquet`` order) of ``frames_per_video`` frames spread over it, each
    ``tile_width`` pixels wide with its tracks drawn and ``"<video>  <time> s"`` on top.
    Tiles are as tall as the tallest video's; shorter ones are padded with black.
    Returns ``(rows, columns)``. ``tracklake.api.render_sheet`` has the defaults.

    Raises:
        FileNotFoundError: not a run's folder, or no video of it was tracked.
        OSError: the PNG cannot be written.
    """
    import cv2

    summaries = renderable_videos(out_dir)[:videos]
    if not summaries:
        raise FileNotFoundError(f"{out_dir}: no tracked video to draw")
    sizes = [even_size(tile_width, tile_width * s.height / s.width) for s in summaries]
    tile_height = max(height for _, height in sizes)
    sheet = np.zeros((len(summaries) * tile_height, frames_per_video * tile_width, 3), np.uint8)
    for row, (summary, size) in enumerate(zip(summaries, sizes, strict=True)):
        tiles = _tiles(out_dir, summary, frames_per_video, size, classes, trail_s)
        for column, tile in enumerate(tiles):
            top, left = row * tile_height, column * tile_width
            sheet[top : top + size[1], left : left + size[0]] = tile
    if not cv2.imwrite(str(output), np.ascontiguousarray(sheet[..., ::-1])):
        raise OSError(f"{output}: cannot write the PNG (is the name a .png in a folder?)")
    return len(summaries), frames_per_video
