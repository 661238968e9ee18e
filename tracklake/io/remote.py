"""Videos in object storage (``s3://``, ``gs://``), read through pyarrow's filesystems.

FFmpeg reads local files only here, so a remote video is copied to a local scratch file for the
time it is decoded (``scratch.py``; a copy that cannot fit fails its video at once).
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (the AWS SDKs' variables) point S3 at a
compatible server such as MinIO.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

import pyarrow.fs as pafs

from tracklake.io.errors import VideoError, VideoErrorKind, is_disk_full
from tracklake.io.scratch import new_copy_path, room_for, scratch_dir

REMOTE_SCHEMES = ("s3", "gs", "gcs")
_COPY_CHUNK_BYTES = 8 << 20


def is_uri(path: str) -> bool:
    """True for ``s3://`` and ``gs://`` paths."""
    return urlparse(path).scheme in REMOTE_SCHEMES and "://" in path


@dataclass(frozen=True)
class RemotePath:
    """A URI split into the pyarrow filesystem that serves it and the path within it."""

    uri: str
    filesystem: pafs.FileSystem
    path: str  # "bucket/key", pyarrow's form


def _s3_filesystem() -> pafs.S3FileSystem:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return pafs.S3FileSystem()
    parsed = urlparse(endpoint)
    return pafs.S3FileSystem(endpoint_override=parsed.netloc, scheme=parsed.scheme or "https")


def resolve_remote(uri: str) -> RemotePath:
    """Split ``uri``; spaces and other characters are taken literally, not URL-decoded."""
    scheme, _, rest = uri.partition("://")
    filesystem = _s3_filesystem() if scheme == "s3" else pafs.GcsFileSystem()
    return RemotePath(uri=uri, filesystem=filesystem, path=rest.strip("/"))


def list_remote_files(prefix_uri: str) -> list[str]:
    """URIs of every file under ``prefix_uri``, recursively, sorted."""
    remote = resolve_remote(prefix_uri)
    scheme = prefix_uri.partition("://")[0]
    infos = remote.filesystem.get_file_info(pafs.FileSelector(remote.path, recursive=True))
    return sorted(f"{scheme}://{info.path}" for info in infos if info.type == pafs.FileType.File)


def remote_stat(uri: str) -> tuple[int, float]:
    """``(size in bytes, mtime as POSIX seconds)`` of a remote file; ``(-1, 0.0)`` if absent."""
    remote = resolve_remote(uri)
    info = remote.filesystem.get_file_info(remote.path)
    if info.type != pafs.FileType.File:
        return -1, 0.0
    mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
    return int(info.size), mtime


@contextmanager
def local_copy(uri: str) -> Iterator[str]:
    """Copy a remote file to a local scratch file, yield its path, then delete it.

    Raises:
        VideoError: ``MISSING`` when there is no such object; ``UNREADABLE`` when it cannot
            be read or its copy does not fit in the scratch folder.
    """
    remote = resolve_remote(uri)
    info = remote.filesystem.get_file_info(remote.path)
    if info.type != pafs.FileType.File:
        raise VideoError(uri, VideoErrorKind.MISSING, "no such object")
    folder = scratch_dir()
    no_room = room_for(info.size, folder)
    if no_room:
        raise VideoError(uri, VideoErrorKind.UNREADABLE, no_room)
    local_path = new_copy_path(folder, PurePosixPath(remote.path).suffix)
    try:
        try:
            with (
                remote.filesystem.open_input_stream(remote.path) as source,
                open(local_path, "wb") as target,
            ):
                shutil.copyfileobj(source, target, _COPY_CHUNK_BYTES)
        except FileNotFoundError:
            raise VideoError(uri, VideoErrorKind.MISSING, "no such object") from None
        except OSError as error:
            detail = (
                f"no space left in {folder} for its copy" if is_disk_full(error) else str(error)
            )
            raise VideoError(uri, VideoErrorKind.UNREADABLE, detail) from None
        yield str(local_path)
    finally:
        local_path.unlink(missing_ok=True)
