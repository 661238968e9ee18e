"""Where a video's bytes are: a local file, an object in a bucket (``remote``) or a URL
(``http_source``), read as a local file for the time it is decoded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from tracklake.io.http_source import is_url, url_copy, url_stat
from tracklake.io.remote import is_uri, local_copy, remote_stat
from tracklake.types import VideoRef


def is_remote(ref: VideoRef) -> bool:
    """Whether ``ref``'s file must be copied to be read (an object or a URL)."""
    return is_uri(ref.path) or is_url(ref.path)


def source_stat(ref: VideoRef) -> tuple[int, float]:
    """``(size in bytes, mtime)`` of ``ref``'s file, object or URL; ``(-1, 0.0)`` if absent."""
    if is_uri(ref.path):
        return remote_stat(ref.path)
    if is_url(ref.path):
        return url_stat(ref)
    try:
        stat = os.stat(ref.path)
    except OSError:
        return -1, 0.0
    return stat.st_size, stat.st_mtime


@contextmanager
def local_video(ref: VideoRef) -> Iterator[str]:
    """A local path for ``ref``'s video: its own, or a temporary copy of an object or URL.

    Raises:
        VideoError: the object or URL cannot be copied (its message names ``ref.path``).
    """
    if is_uri(ref.path):
        with local_copy(ref.path) as path:
            yield path
    elif is_url(ref.path):
        with url_copy(ref) as path:
            yield path
    else:
        yield ref.path
