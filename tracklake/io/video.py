"""Decoding one video file with FFmpeg (through PyAV), in batches of consecutive frames.

Frames come out as uint8 RGB ``(N, H, W, 3)``, at the size the caller asks for (scaled by
FFmpeg while it converts them to RGB), with each frame's decoded index and its presentation
time in seconds, read from the stream's timestamps so that a variable frame rate file gets
its real times. Every failure is a ``VideoError`` naming the file and the cause; a file that
is damaged or cut short part way yields every frame FFmpeg can decode, then raises a
``VideoError`` whose ``frames_decoded`` says how many there were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.video_diagnosis import (
    check_readable_file,
    cut_short_detail,
    ffmpeg_reason,
    open_error,
)

# One thread: a worker decodes beside its model, which takes the other cores (jobs.worker_plan).
DEFAULT_DECODE_THREADS = 1
# 8K DCI; a header claiming more is far more likely hostile or broken than real footage.
DEFAULT_MAX_FRAME_PIXELS = 8192 * 4320


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the video stream.

    Attributes:
        frames: frames in the stream (before ``vid_stride``).
        fps: average frame rate.
        width, height: size of the frames in pixels as stored, upright (before any
            decode-time scaling).
        duration_s: end time of the last frame in seconds.
    """

    frames: int
    fps: float
    width: int
    height: int
    duration_s: float


@dataclass(frozen=True)
class FrameBatch:
    """Consecutive decoded frames of one video.

    Attributes:
        frames: ``(N, H, W, 3)`` uint8 RGB.
        indices: ``(N,)`` int64 0-based decoded frame indices (spaced by ``vid_stride``).
        times_s: ``(N,)`` float64 presentation times in seconds.
    """

    frames: np.ndarray
    indices: np.ndarray
    times_s: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)


def _quarter_turns(frame: Any) -> int:
    """Counter-clockwise quarter turns that show ``frame`` upright (its display matrix)."""
    return round(getattr(frame, "rotation", 0) / 90) % 4


class VideoDecoder:
    """One open video file, decoded by FFmpeg through PyAV, one frame at a time on demand.

    Decoding is pulled by the reader: nothing is decoded ahead of ``batches`` except the
    frames FFmpeg's own frame threads hold (``num_threads`` of them), so the memory a reader
    holds is the batches it keeps (``decord``'s decoder, by contrast, decodes without bound
    ahead of a slow reader: BENCHMARKS.md, "Decoding memory"). A damaged packet loses its own
    frames only: decoding goes on with the next one, as ``ffmpeg`` does.

    Args:
        path: a local file.
        num_threads: FFmpeg decoding threads.
        max_frame_pixels: refuse a stream whose header claims larger frames, before
            decoding any (a hostile header could otherwise make FFmpeg allocate gigabytes).

    Attributes:
        info: the stream as stored (original size, upright).
        cut_short: why the file is incomplete although it opened (``""`` when it is complete).

    Raises:
        VideoError: the file is missing, unreadable, empty, not a video, has no video
            stream or an unsupported codec, claims frames over ``max_frame_pixels``, or was
            cut before its index.
    """

    def __init__(
        self,
        path: str | Path,
        num_threads: int = DEFAULT_DECODE_THREADS,
        max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS,
    ):
        self.path = str(path)
        self.num_threads = num_threads
        check_readable_file(self.path)
        with self._open() as (_, stream):
            self._check_frame_size(stream, max_frame_pixels)
            first = self._first_frame(stream)
            self.info = self._stream_info(stream, first)
        self.cut_short = cut_short_detail(self.path)

    @contextmanager
    def _open(self) -> Iterator[tuple[Any, Any]]:
        """The container and its video stream, set up for threaded decoding."""
        import av

        try:
            container = av.open(self.path, mode="r")
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
            raise open_error(self.path, error) from None
        try:
            if not container.streams.video:
                raise VideoError(
                    self.path, VideoErrorKind.NO_VIDEO_STREAM, "the file has no video stream"
                )
            stream = container.streams.video[0]
            if stream.codec_context is None:  # PyAV found no decoder for the codec
                raise VideoError(
                    self.path, VideoErrorKind.UNSUPPORTED_CODEC, "no decoder for its video codec"
                )
            stream.thread_type = "AUTO"
            stream.thread_count = self.num_threads
            yield container, stream
        finally:
            container.close()

    def _check_frame_size(self, stream: Any, max_frame_pixels: int) -> None:
        width, height = stream.codec_context.width, stream.codec_context.height
        if width * height > max_frame_pixels:
            raise VideoError(
                self.path,
                VideoErrorKind.FRAME_TOO_LARGE,
                f"its header claims {width}x{height} frames, over the limit of "
                f"{max_frame_pixels:,} pixels (--max-frame-pixels)",
            )

    def _first_frame(self, stream: Any) -> Any:
        """Decode the first frame: a stream whose codec cannot decode fails here, not later."""
        import av

        try:
            for frame in stream.container.decode(stream):
                return frame
        except av.error.FFmpegError as error:
            raise VideoError(
                self.path, VideoErrorKind.UNSUPPORTED_CODEC,
                f"FFmpeg cannot decode its {stream.codec_context.name} video: "
                f"{ffmpeg_reason(error)}",
            ) from None  # fmt: skip
        raise VideoError(self.path, VideoErrorKind.EMPTY, "the video stream has no frames")

    def _stream_info(self, stream: Any, first: Any) -> VideoInfo:
        fps = float(stream.average_rate or stream.guessed_rate or stream.base_rate or 0)
        if stream.duration is not None:
            duration_s = float(stream.duration * stream.time_base)
        else:
            duration_s = float(stream.container.duration or 0) / 1_000_000
        # mp4 headers count their samples; other containers are estimated from the duration.
        frames = stream.frames or max(1, round(duration_s * fps))
        width, height = first.width, first.height
        if _quarter_turns(first) % 2:
            width, height = height, width
        return VideoInfo(frames, fps, width, height, duration_s)

    def batches(
        self, batch_size: int, vid_stride: int = 1, size: tuple[int, int] | None = None
    ) -> Iterator[FrameBatch]:
        """Yield the frames ``0, vid_stride, 2 * vid_stride, ...`` in batches of ``batch_size``.

        Frames between strides are decoded (the codec needs them) but not converted. With
        ``size`` (``(width, height)``), frames are scaled to it while FFmpeg converts them to
        RGB (area averaging, by swscale), which costs less than converting them at full size.

        Raises:
            VideoError: ``TRUNCATED`` after the last batch when the stream was damaged or
                cut short; its ``frames_decoded`` counts the frames yielded. Every frame
                FFmpeg could decode, before the damage and after it, has been yielded.
        """
        if batch_size < 1 or vid_stride < 1:
            raise ValueError(f"batch_size and vid_stride must be >= 1: {batch_size}, {vid_stride}")
        width, height = size or (self.info.width, self.info.height)
        with self._open() as (container, stream):
            damage = _StreamDamage()
            batch = _BatchBuilder(batch_size, (height, width))
            delivered = 0
            for index, frame in enumerate(_decode_frames(container, stream, damage)):
                if index % vid_stride:
                    continue
                _write_rgb(frame, batch.next_row())
                batch.add(index, self._time_s(frame, stream, index))
                if batch.full:
                    yield batch.take()
                    delivered += batch_size
            if batch.count:
                delivered += batch.count
                yield batch.take()
        problem = damage.describe()
        if self.cut_short:
            stopped = f"{self.cut_short}; decoding stopped after frame {delivered - 1}"
            problem = f"{problem}; {stopped}" if problem else stopped
        if problem:
            raise VideoError(self.path, VideoErrorKind.TRUNCATED, problem, frames_decoded=delivered)

    def _time_s(self, frame: Any, stream: Any, index: int) -> float:
        """The frame's presentation time from the stream's start; from its index when the
        container gives no timestamps."""
        if frame.pts is None or stream.time_base is None:
            return index / self.info.fps if self.info.fps else 0.0
        start = stream.start_time or 0
        return float((frame.pts - start) * stream.time_base)


class _StreamDamage:
    """What went wrong while decoding a stream: the first error, and how many packets."""

    def __init__(self) -> None:
        self.first: str = ""
        self.first_frame = 0
        self.packets = 0
        self.demux_stopped = ""

    def packet_lost(self, error: BaseException, frame: int) -> None:
        if not self.packets:
            self.first, self.first_frame = ffmpeg_reason(error), frame
        self.packets += 1

    def describe(self) -> str:
        parts = []
        if self.packets:
            parts.append(
                f"{self.packets} damaged packet(s) could not be decoded, the first after "
                f"{self.first_frame} good frames ({self.first}); the frames around them were kept"
            )
        if self.demux_stopped:
            parts.append(self.demux_stopped)
        return "; ".join(parts)


def _decode_frames(container: Any, stream: Any, damage: _StreamDamage) -> Iterator[Any]:
    """Every frame FFmpeg can decode from ``stream``, in presentation order.

    A packet the decoder rejects is recorded in ``damage`` and skipped; reading the file
    stops at the first error the demuxer cannot get past, and the decoder is then drained
    of the frames it holds.
    """
    import av

    decoded = 0
    try:
        for packet in container.demux(stream):
            try:
                for frame in packet.decode():
                    decoded += 1
                    yield frame
            except av.error.FFmpegError as error:
                damage.packet_lost(error, decoded)
        return
    except av.error.FFmpegError as error:
        damage.demux_stopped = (
            f"reading the file stopped after frame {decoded - 1}: {ffmpeg_reason(error)}"
        )
    try:
        for frame in stream.codec_context.decode(None):
            yield frame
    except av.error.FFmpegError as error:
        damage.packet_lost(error, decoded)


def _write_rgb(frame: Any, out: np.ndarray) -> None:
    """Convert ``frame`` to RGB, upright, at ``out``'s size, straight into ``out``
    (``(height, width, 3)`` uint8): one copy out of FFmpeg's buffer, none in between."""
    turns = _quarter_turns(frame)
    height, width = out.shape[:2] if turns % 2 == 0 else out.shape[1::-1]
    # Area averaging keeps detections closest to Ultralytics' full-size frames resized by
    # OpenCV (BENCHMARKS.md, "Decoding at the model's size"), and is faster than bilinear.
    scaled = (width, height) != (frame.width, frame.height)
    interpolation = "AREA" if scaled else None
    rgb = frame.reformat(format="rgb24", width=width, height=height, interpolation=interpolation)
    plane = rgb.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(height, plane.line_size)
    pixels = rows[:, : width * 3].reshape(height, width, 3)
    out[...] = np.rot90(pixels, turns) if turns else pixels


class _BatchBuilder:
    """The frames of the batch being decoded, written in place into one new array.

    Each batch gets its own array: a caller may keep a batch while the next is decoded.
    """

    def __init__(self, size: int, frame_shape: tuple[int, int]) -> None:
        self._size = size
        self._frame_shape = frame_shape
        self._start()

    def _start(self) -> None:
        self._frames = np.empty((self._size, *self._frame_shape, 3), np.uint8)
        self._indices: list[int] = []
        self._times_s: list[float] = []

    @property
    def count(self) -> int:
        return len(self._indices)

    @property
    def full(self) -> bool:
        return self.count == self._size

    def next_row(self) -> np.ndarray:
        """``(H, W, 3)`` uint8: where the next frame goes."""
        return self._frames[self.count]

    def add(self, index: int, time_s: float) -> None:
        """Record the frame just written to ``next_row``."""
        self._indices.append(index)
        self._times_s.append(time_s)

    def take(self) -> FrameBatch:
        """The frames added so far, as one batch; the builder starts a new one."""
        batch = FrameBatch(
            self._frames[: self.count],
            np.asarray(self._indices, np.int64),
            np.asarray(self._times_s, np.float64),
        )
        self._start()
        return batch
