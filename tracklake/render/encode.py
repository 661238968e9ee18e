"""Writing frames as an H.264 mp4 with PyAV (libx264)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

_CRF = "18"  # visually lossless, so the drawn colours survive encoding


class H264Writer:
    """An mp4 file of H.264 (yuv420p) video, written frame by frame; a context manager.

    Args:
        path: the ``.mp4`` to write.
        fps: frame rate (the source's; e.g. 29.97 becomes exactly 30000/1001).
        width, height: frame size in pixels; both must be even (yuv420p).
    """

    def __init__(self, path: str | Path, fps: float, width: int, height: int):
        import av

        if width % 2 or height % 2:
            raise ValueError(f"H.264 needs an even frame size, not {width}x{height}")
        self.frames = 0
        self._container = av.open(str(path), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": _CRF, "preset": "veryfast"}

    def write(self, image: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 RGB frame."""
        import av

        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        self._container.mux(self._stream.encode(None))
        self._container.close()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close()
