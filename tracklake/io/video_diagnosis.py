"""Why a video file cannot be decoded, said so that a user can act on it: the checks made
before FFmpeg opens a file, and FFmpeg's failures translated into their causes."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.mp4_boxes import read_box_layout
from tracklake.messages import first_line

_ISO_MEDIA_SUFFIXES = {".mp4", ".m4v", ".mov", ".3gp"}


def _not_a_file_reason(path: str) -> str:
    """Why ``path`` (which exists) is not a regular file; a chain of links that never ends
    is said as such, since following it is what fails."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symlink loop"
    return "not a regular file"


def check_readable_file(path: str | Path) -> None:
    """Raise ``VideoError`` unless ``path`` is an existing, readable, non-empty file."""
    path = str(path)
    if not os.path.lexists(path):
        raise VideoError(path, VideoErrorKind.MISSING, "no such file")
    if os.path.isdir(path):
        raise VideoError(path, VideoErrorKind.NOT_A_FILE, "is a directory")
    if not os.path.isfile(path):
        raise VideoError(path, VideoErrorKind.NOT_A_FILE, _not_a_file_reason(path))
    try:
        with open(path, "rb") as file:
            first_byte = file.read(1)
    except PermissionError:
        raise VideoError(path, VideoErrorKind.UNREADABLE, "permission denied") from None
    except OSError as error:
        raise VideoError(path, VideoErrorKind.UNREADABLE, error.strerror or str(error)) from None
    if not first_byte:
        raise VideoError(path, VideoErrorKind.EMPTY, "the file is 0 bytes")


def ffmpeg_reason(error: BaseException) -> str:
    """FFmpeg's reason without PyAV's errno and file name: ``Invalid data found ...``."""
    import av

    if isinstance(error, av.error.FFmpegError) and error.strerror:
        return str(error.strerror)
    return first_line(error)


def open_error(path: str, error: BaseException) -> VideoError:
    """Translate FFmpeg's open failure into the cause a user can act on."""
    if Path(path).suffix.lower() in _ISO_MEDIA_SUFFIXES:
        layout = read_box_layout(path)
        if layout.is_iso_media and not layout.has_index:
            return VideoError(
                path,
                VideoErrorKind.TRUNCATED,
                "the mp4 index (moov box) is missing: the file was cut short before it",
            )
    return VideoError(
        path,
        VideoErrorKind.NOT_A_VIDEO,
        f"FFmpeg cannot read it as a video ({ffmpeg_reason(error)})",
    )


def cut_short_detail(path: str) -> str:
    """Why an ISO media file that opened is nevertheless incomplete; ``""`` if it is not."""
    if Path(path).suffix.lower() not in _ISO_MEDIA_SUFFIXES:
        return ""
    layout = read_box_layout(path)
    if layout.cut_box:
        return f"the file ends inside its {layout.cut_box!r} box: it was cut short"
    return ""
