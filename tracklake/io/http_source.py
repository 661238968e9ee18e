"""Videos at ``http://`` and ``https://`` URLs: a CDN's file or a presigned URL, alone or as a
line of a manifest.

FFmpeg reads local files only here, so a URL's video is copied to a local scratch file for
the time it is decoded, under the same space check as an object's (``scratch``). The copy
follows redirects; a connection that drops or times out is resumed where it stopped with a
range request, at most ``RETRIES`` times; an HTTP error (404, 403, ...) fails the video with
its status at once.

A presigned URL's query string is a credential. A ``VideoRef`` keeps it apart
(``VideoRef.fetch_query``): its ``path`` is the URL without it, and that is what
``videos.parquet``, the footers, ``run.json`` and every message show. Video-site pages
(YouTube and the like) are web pages, not video files: they fail as "not a video".
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit, urlunsplit

from tracklake.io.errors import VideoError, VideoErrorKind, is_disk_full
from tracklake.io.scratch import new_copy_path, room_for, scratch_dir
from tracklake.io.video_ids import video_id_from_path
from tracklake.types import VideoRef

URL_SCHEMES = ("http", "https")
RETRIES = 3
TIMEOUT_S = 30.0
_RETRY_PAUSE_S = 1.0
_CHUNK_BYTES = 1 << 20
# A dropped connection or a stalled server: worth a retry. An HTTPError is a URLError too,
# and is handled first: a status is an answer, not worth a retry.
_TRANSIENT = (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError)


def is_url(path: str) -> bool:
    """True for ``http://`` and ``https://`` paths."""
    return urlsplit(path).scheme in URL_SCHEMES and "://" in path


def split_url(url: str) -> tuple[str, str]:
    """``(url without its query and fragment, the query)``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment="")), parts.query


def recorded_source(source: str) -> str:
    """``source`` as a run records it: a URL without its query, anything else as given."""
    return split_url(source)[0] if is_url(source) else source


def url_ref(url: str, video_id: str | None = None, extra: dict[str, Any] | None = None) -> VideoRef:
    """The video at ``url``; its id (unless given) the name in the URL's path, without its
    extension."""
    path, query = split_url(url)
    name = PurePosixPath(unquote(urlsplit(path).path)).name or urlsplit(path).netloc
    return VideoRef(video_id or video_id_from_path(name), path, extra or {}, fetch_query=query)


def fetch_url(ref: VideoRef) -> str:
    """The URL to request ``ref`` at: its path with its query."""
    return f"{ref.path}?{ref.fetch_query}" if ref.fetch_query else ref.path


def url_stat(ref: VideoRef) -> tuple[int, float]:
    """``(size in bytes, Last-Modified as POSIX seconds)`` from a HEAD request; ``(-1, 0.0)``
    when the server does not answer it."""
    try:
        with _open(fetch_url(ref), method="HEAD") as response:
            size = int(response.headers.get("Content-Length", -1))
            modified = response.headers.get("Last-Modified")
    except (*_TRANSIENT, ValueError):
        return -1, 0.0
    return size, parsedate_to_datetime(modified).timestamp() if modified else 0.0


@contextmanager
def url_copy(ref: VideoRef) -> Iterator[str]:
    """Copy the video at ``ref``'s URL to a local scratch file, yield its path, then delete it.

    Raises:
        VideoError: ``MISSING`` for a 404 or 410, ``UNREADABLE`` for another HTTP error, a
            connection that failed ``RETRIES`` + 1 times, or a copy that does not fit in the
            scratch folder; named by the URL without its query.
    """
    folder = scratch_dir()
    local_path = new_copy_path(folder, PurePosixPath(urlsplit(ref.path).path).suffix)
    try:
        with open(local_path, "wb") as target:
            _download(ref, target, folder)
        yield str(local_path)
    finally:
        local_path.unlink(missing_ok=True)


def _download(ref: VideoRef, target: BinaryIO, folder: Path) -> None:
    """Write the video at ``ref``'s URL into ``target``, resuming after dropped connections."""
    size: int | None = None
    for attempt in range(RETRIES + 1):
        received = target.tell()
        try:
            with _open(fetch_url(ref), start=received) as response:
                if received and response.status != 206:  # the server ignored the range
                    target.seek(0)
                    target.truncate()
                    received = 0
                if size is None:
                    size = _total_size(response, received)
                    if size is not None and (no_room := room_for(size - received, folder)):
                        raise VideoError(ref.path, VideoErrorKind.UNREADABLE, no_room)
                while chunk := response.read(_CHUNK_BYTES):
                    target.write(chunk)
            if size is None or target.tell() >= size:
                return
            cause = f"the connection closed after {target.tell()} of {size} bytes"
        except urllib.error.HTTPError as error:
            kind = VideoErrorKind.MISSING if error.code in (404, 410) else VideoErrorKind.UNREADABLE
            raise VideoError(ref.path, kind, f"HTTP {error.code} {error.reason}") from None
        except OSError as error:
            if is_disk_full(error):
                detail = f"no space left in {folder} for its copy"
                raise VideoError(ref.path, VideoErrorKind.UNREADABLE, detail) from None
            if not isinstance(error, _TRANSIENT):
                raise
            cause = _reason(error)
        except http.client.HTTPException as error:
            cause = _reason(error)
        if attempt < RETRIES:
            time.sleep(_RETRY_PAUSE_S * (attempt + 1))
    detail = f"{cause} (tried {RETRIES + 1} times)"
    raise VideoError(ref.path, VideoErrorKind.UNREADABLE, detail)


def _open(url: str, method: str = "GET", start: int = 0) -> http.client.HTTPResponse:
    """A response for ``url`` (redirects followed), from byte ``start`` on."""
    request = urllib.request.Request(url, method=method)
    if start:
        request.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def _total_size(response: http.client.HTTPResponse, received: int) -> int | None:
    """The whole file's size from ``Content-Range`` (a range answer) or ``Content-Length``."""
    content_range = response.headers.get("Content-Range", "")
    if content_range.partition("/")[2].isdigit():
        return int(content_range.partition("/")[2])
    length = response.headers.get("Content-Length")
    return received + int(length) if length and length.isdigit() else None


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "reason", None) or error)
    return text or type(error).__name__
