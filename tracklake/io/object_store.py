"""A folder of objects named by ``/``-separated keys (``layout``'s): where a run, or ``tune``,
writes its output and reads it back. A local folder now; a bucket prefix is the same
interface.

An object is written in two steps: ``begin(key)`` gives a local file to write its bytes into,
and the object appears under ``key``, whole, only on ``commit``; ``abort`` leaves nothing. A
crash between the two leaves at most a temporary object that no listing of ``layout``'s
patterns matches (``layout.TEMPORARY_PATTERN``), which the next run's ``delete`` of the
temporary keys removes.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

import pyarrow.fs as pafs

from tracklake.io import layout
from tracklake.io.remote import is_uri

if TYPE_CHECKING:  # pyarrow.dataset costs 0.2 s to import: only where a run is read
    import pyarrow.dataset as pads


class PendingObject(Protocol):
    """An object being written: its bytes go to ``file``, a local path."""

    file: str

    def commit(self) -> None:
        """Publish the object under its key, replacing one that was there."""
        ...

    def abort(self) -> None:
        """Drop what was written; the key is left as it was."""
        ...


class ObjectStore(Protocol):
    """Objects by key under one root."""

    def location(self, key: str) -> str:
        """Where the object ``key`` lives, as a user would name it (a path, a URI)."""
        ...

    def begin(self, key: str) -> PendingObject:
        """Start writing the object ``key``."""
        ...

    def exists(self, key: str) -> bool: ...

    def keys(self, folder: str, pattern: str) -> list[str]:
        """The keys directly in ``folder`` whose names match the glob ``pattern``, sorted."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The object ``key`` for reading (seekable: a footer is read from its end)."""
        ...

    def parquet_dataset(self, keys: Sequence[str]) -> pads.Dataset:
        """The Parquet objects ``keys`` as one Arrow dataset, read in parallel and lazily
        (DuckDB and ``to_table`` read only the columns and row groups asked for); its
        columns are those of every object, by name (one lacking a column reads nulls)."""
        ...

    def is_empty(self) -> bool:
        """Whether nothing at all is stored under the root (not only ``layout``'s objects)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object ``key``, or everything under the folder ``key``; nothing there
        is no error."""
        ...


class _PendingFile:
    """A file written beside its final path under a temporary name, then renamed."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self.file = str(path.with_name(layout.temporary_name(path.name)))

    def commit(self) -> None:
        os.replace(self.file, self._path)

    def abort(self) -> None:
        Path(self.file).unlink(missing_ok=True)


class LocalFolder:
    """An ``ObjectStore`` in a folder of the local file system (or a shared mount)."""

    def __init__(self, root: str | Path):
        self._root = Path(root)

    def location(self, key: str) -> str:
        return str(self._root / key)

    def begin(self, key: str) -> PendingObject:
        return _PendingFile(self._root / key)

    def exists(self, key: str) -> bool:
        return (self._root / key).is_file()

    def keys(self, folder: str, pattern: str) -> list[str]:
        return sorted(f"{folder}/{path.name}" for path in (self._root / folder).glob(pattern))

    def open(self, key: str) -> BinaryIO:
        # Arrow's own file, as a bucket's is: Arrow reads it from its IO threads without
        # calling back into Python.
        return pafs.LocalFileSystem().open_input_file(str(self._root / key))

    def parquet_dataset(self, keys: Sequence[str]) -> pads.Dataset:
        return unified_dataset(pafs.LocalFileSystem(), [str(self._root / key) for key in keys])

    def is_empty(self) -> bool:
        return not self._root.is_dir() or not any(self._root.iterdir())

    def delete(self, key: str) -> None:
        path = self._root / key
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def output_location(out: str | Path) -> str:
    """``out`` as every process of a run names it: an ``s3://`` or ``gs://`` prefix without
    its trailing ``/``, or a local folder's absolute path (workers run elsewhere)."""
    if is_uri(str(out)):
        return str(out).rstrip("/")
    return str(Path(out).resolve())


def unified_dataset(filesystem: pafs.FileSystem, paths: list[str]) -> pads.Dataset:
    """The Parquet files ``paths`` of ``filesystem`` as one dataset whose columns are those of
    every file, by name."""
    import pyarrow.dataset as pads

    factory = pads.FileSystemDatasetFactory(filesystem, paths, pads.ParquetFileFormat())
    return factory.finish(factory.inspect())


def open_store(root: str | Path) -> ObjectStore:
    """The store of the output ``root``: a local folder, or an ``s3://`` or ``gs://`` prefix
    (``bucket_store``)."""
    if is_uri(str(root)):
        from tracklake.io.bucket_store import BucketPrefix

        return BucketPrefix(str(root))
    return LocalFolder(root)
