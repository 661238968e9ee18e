"""The one error type of the video layer: which file failed, and why."""

from __future__ import annotations

import enum
import errno


class VideoErrorKind(enum.StrEnum):
    """Why a video could not be (fully) decoded."""

    MISSING = "missing"
    NOT_A_FILE = "not a file"
    UNREADABLE = "unreadable"
    EMPTY = "empty"
    NOT_A_VIDEO = "not a video"
    NO_VIDEO_STREAM = "no video stream"
    UNSUPPORTED_CODEC = "unsupported codec"
    FRAME_TOO_LARGE = "frame too large"
    TRUNCATED = "truncated"
    TIMEOUT = "timeout"


class VideoError(Exception):
    """A video that cannot be decoded, or stopped decoding part way.

    Attributes:
        path: the file (or URI) as the user named it.
        kind: the cause, one of ``VideoErrorKind``.
        detail: a human sentence with the specifics.
        frames_decoded: frames delivered before the failure; 0 when the file never opened.
            A positive count means the video is *partial*: those frames are good.
    """

    def __init__(self, path: str, kind: VideoErrorKind, detail: str, frames_decoded: int = 0):
        self.path = str(path)
        self.kind = VideoErrorKind(kind)
        self.detail = detail
        self.frames_decoded = frames_decoded
        super().__init__(f"{self.path}: {self.kind}: {detail}")

    @property
    def is_partial(self) -> bool:
        return self.frames_decoded > 0


def is_disk_full(error: BaseException) -> bool:
    """True for the error of a write that found no space left (or no quota) on its disk."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
