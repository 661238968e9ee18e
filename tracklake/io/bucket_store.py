"""A run's output under an object-storage prefix (``s3://bucket/prefix``, ``gs://...``): the
``ObjectStore`` interface over pyarrow's file systems.

Object storage has no rename, and pyarrow's S3 output stream completes its multipart upload
when it is closed, also after an error (apache/arrow#40502): streamed to its key, an object
cut short would be published. So an object's bytes are first written to a local scratch file
(``scratch``), and ``commit`` uploads the finished file under a temporary key
(``layout.temporary_name``), copies it on the server to its own key and deletes the temporary
one. A failure before ``commit`` uploads nothing; one during the upload leaves at most a
temporary key, which no reader's listing matches and the next run deletes.

The prefix is a folder: ``s3://b/runs/a`` holds ``runs/a/...``, never ``runs/ab/...``.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

import pyarrow.fs as pafs

from tracklake.io import layout
from tracklake.io.object_store import unified_dataset
from tracklake.io.remote import resolve_remote
from tracklake.io.scratch import new_copy_path, scratch_dir

if TYPE_CHECKING:
    import pyarrow.dataset as pads

_UPLOAD_CHUNK_BYTES = 8 << 20


class _PendingUpload:
    """An object written to a local scratch file, uploaded on ``commit``."""

    def __init__(self, store: BucketPrefix, key: str):
        self._store = store
        self._key = key
        self.file = str(new_copy_path(scratch_dir(), f"-{PurePosixPath(key).name}"))

    def commit(self) -> None:
        try:
            self._store.upload(self.file, self._key)
        finally:
            Path(self.file).unlink(missing_ok=True)

    def abort(self) -> None:
        Path(self.file).unlink(missing_ok=True)


class BucketPrefix:
    """An ``ObjectStore`` under a prefix of a bucket: ``scheme://bucket/prefix``."""

    def __init__(self, uri: str):
        remote = resolve_remote(uri)
        self.uri = uri.rstrip("/")
        self.filesystem = remote.filesystem
        self._scheme = uri.partition("://")[0]
        self._base = remote.path  # "bucket/prefix", pyarrow's form

    def path(self, key: str) -> str:
        """The object ``key`` in pyarrow's form, ``bucket/prefix/key``."""
        return f"{self._base}/{key}" if key else self._base

    def location(self, key: str) -> str:
        return f"{self._scheme}://{self.path(key)}"

    def begin(self, key: str) -> _PendingUpload:
        return _PendingUpload(self, key)

    def upload(self, file: str, key: str) -> None:
        """Publish the local ``file`` as the object ``key``, whole or not at all (see the
        module's docstring)."""
        folder, _, name = key.rpartition("/")
        temporary = self.path(f"{folder}/{layout.temporary_name(name)}".lstrip("/"))
        try:
            with open(file, "rb") as source, self.filesystem.open_output_stream(temporary) as sink:
                shutil.copyfileobj(source, sink, _UPLOAD_CHUNK_BYTES)
            self.filesystem.copy_file(temporary, self.path(key))
        finally:
            # Absent when the upload failed before making it; a temporary key left behind is
            # deleted by the next run (no listing matches it).
            with contextlib.suppress(OSError):
                self.filesystem.delete_file(temporary)

    def exists(self, key: str) -> bool:
        return self._is_file(self.path(key))

    def keys(self, folder: str, pattern: str) -> list[str]:
        selector = pafs.FileSelector(self.path(folder), recursive=False, allow_not_found=True)
        names = (
            PurePosixPath(info.path).name
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
        )
        return sorted(f"{folder}/{name}" for name in names if fnmatch(name, pattern))

    def open(self, key: str) -> BinaryIO:
        return self.filesystem.open_input_file(self.path(key))  # ranged reads as it seeks

    def is_empty(self) -> bool:
        selector = pafs.FileSelector(self.path(""), recursive=True, allow_not_found=True)
        return not any(
            info.type == pafs.FileType.File for info in self.filesystem.get_file_info(selector)
        )

    def delete(self, key: str) -> None:
        info = self.filesystem.get_file_info(self.path(key))
        if info.type == pafs.FileType.Directory:
            self.filesystem.delete_dir(info.path)
        elif info.type == pafs.FileType.File:
            self.filesystem.delete_file(info.path)

    def parquet_dataset(self, keys: Sequence[str]) -> pads.Dataset:
        return unified_dataset(self.filesystem, [self.path(key) for key in keys])

    def _is_file(self, path: str) -> bool:
        return self.filesystem.get_file_info(path).type == pafs.FileType.File
