"""Decoding a MOTChallenge sequence folder of images (``img1/000001.jpg ...``) like a video.

Frames are the image files in name order; a frame's time is its index over ``seqinfo.ini``'s
``frameRate``. The decoder has ``VideoDecoder``'s interface (``info``, ``cut_short``,
``batches``), so the pipeline tracks an image sequence exactly as it tracks a video file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.mot_dataset import DatasetError, is_sequence_folder, read_seqinfo
from tracklake.io.video import DEFAULT_MAX_FRAME_PIXELS, FrameBatch, VideoDecoder, VideoInfo


def _read_rgb(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB pixels of one image file, scaled to ``size = (W, H)`` if given
    (bilinear)."""
    from PIL import Image  # Pillow comes with torchvision

    with Image.open(path) as file:
        image = file.convert("RGB")
        if size is not None and size != image.size:
            image = image.resize(size, Image.Resampling.BILINEAR)
        return np.asarray(image)


class ImageSequenceDecoder:
    """One sequence folder with ``seqinfo.ini`` and its frames as image files.

    Raises:
        VideoError: no ``seqinfo.ini``, no frames, or the first frame is unreadable.
    """

    cut_short = ""

    def __init__(self, folder: str | Path):
        self.path = str(folder)
        try:
            info = read_seqinfo(folder)
        except DatasetError as error:
            raise VideoError(self.path, VideoErrorKind.NOT_A_VIDEO, str(error)) from None
        self.fps = info.fps
        self.files = sorted((Path(folder) / info.image_dir).glob(f"*{info.image_suffix}"))
        if not self.files:
            detail = f"no {info.image_suffix} files in {info.image_dir}/"
            raise VideoError(self.path, VideoErrorKind.EMPTY, detail)
        try:
            height, width = _read_rgb(self.files[0]).shape[:2]
        except OSError as error:
            raise VideoError(self.path, VideoErrorKind.UNREADABLE, str(error)) from None
        self.info = VideoInfo(len(self.files), self.fps, width, height, len(self.files) / self.fps)

    def batches(
        self, batch_size: int, vid_stride: int = 1, size: tuple[int, int] | None = None
    ) -> Iterator[FrameBatch]:
        """Yield frames ``0, vid_stride, ...`` in batches, as ``VideoDecoder.batches`` does.

        Raises:
            VideoError: ``TRUNCATED`` after the last good batch when an image cannot be read.
        """
        if batch_size < 1 or vid_stride < 1:
            raise ValueError(f"batch_size and vid_stride must be >= 1: {batch_size}, {vid_stride}")
        width, height = size or (self.info.width, self.info.height)
        indices = np.arange(0, len(self.files), vid_stride, dtype=np.int64)
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            frames = np.empty((len(chunk), height, width, 3), np.uint8)
            for row, index in enumerate(chunk):
                try:
                    frames[row] = _read_rgb(self.files[index], (width, height))
                except (OSError, ValueError) as error:
                    if row:
                        yield FrameBatch(frames[:row], chunk[:row], chunk[:row] / self.fps)
                    raise VideoError(
                        self.path, VideoErrorKind.TRUNCATED,
                        f"frame {int(index)} ({self.files[index].name}): {error}",
                        frames_decoded=start + row,
                    ) from None  # fmt: skip
            yield FrameBatch(frames, chunk, chunk / self.fps)


def open_decoder(
    path: str, num_threads: int, max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS
) -> ImageSequenceDecoder | VideoDecoder:
    """The decoder for a local ``path``: a sequence folder's images, or a video file."""
    if is_sequence_folder(path):
        return ImageSequenceDecoder(path)
    return VideoDecoder(path, num_threads=num_threads, max_frame_pixels=max_frame_pixels)
