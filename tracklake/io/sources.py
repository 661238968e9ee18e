"""Turning the SOURCE arguments of a run into ``VideoRef`` s.

A SOURCE is a video file, a folder (searched recursively), a MOTChallenge dataset or sequence
folder (``mot_dataset.py``: one ``VideoRef`` per sequence, named after it), a glob, a manifest
(see ``manifest.py``) or an ``s3://`` / ``gs://`` URI of a video or of a prefix. Every video gets
an id: the manifest's ``video_id``, else its path relative to the source root without the
extension. Two videos with one id are an error before any work starts.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from tracklake.io.http_source import is_url, split_url, url_ref
from tracklake.io.manifest import is_manifest, read_manifest
from tracklake.io.mot_dataset import is_dataset, read_dataset
from tracklake.io.remote import is_uri, list_remote_files
from tracklake.io.video_ids import video_id_from_path
from tracklake.types import VideoRef

VIDEO_EXTENSIONS = frozenset(
    [".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".wmv", ".flv"]
)
_GLOB_CHARS = set("*?[")


class SourceError(ValueError):
    """A SOURCE argument that names nothing usable, or ids that collide."""


def is_video_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in VIDEO_EXTENSIONS


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _folder_videos(root: Path) -> list[VideoRef]:
    """Video files under ``root``, recursively, skipping hidden files and folders."""
    refs = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(root)
            if is_video_name(name) and not _is_hidden(relative):
                refs.append(VideoRef(video_id_from_path(relative.as_posix()), str(path)))
    return refs


def _glob_videos(pattern: str) -> list[VideoRef]:
    """Files matching ``pattern`` (``**`` recurses); ids are relative to its fixed prefix."""
    fixed_parts = []
    for part in Path(pattern).parts:
        if _GLOB_CHARS & set(part):
            break
        fixed_parts.append(part)
    root = Path(*fixed_parts) if fixed_parts else Path(".")
    refs = []
    for match in sorted(glob.glob(pattern, recursive=True)):
        path = Path(match)
        if path.is_file():
            refs.append(VideoRef(video_id_from_path(path.relative_to(root).as_posix()), match))
    return refs


def _remote_videos(uri: str) -> list[VideoRef]:
    """One video URI, or every video under a prefix URI."""
    if is_video_name(uri):
        name = PurePosixPath(uri.partition("://")[2]).name
        return [VideoRef(video_id_from_path(name), uri)]
    prefix = uri.rstrip("/")
    refs = []
    for file_uri in list_remote_files(prefix):
        relative = file_uri[len(prefix) + 1 :]
        if is_video_name(file_uri) and not _is_hidden(Path(relative)):
            refs.append(VideoRef(video_id_from_path(relative), file_uri))
    return refs


def _manifest_videos(manifest: Path) -> list[VideoRef]:
    """The manifest's rows; relative paths resolve against the manifest's folder."""
    base = manifest.resolve().parent
    refs = []
    for row in read_manifest(manifest):
        entry = row.pop("path").strip()
        video_id = row.pop("video_id", None)
        if is_url(entry):
            path, _ = split_url(entry)
            default_id = unquote(urlsplit(path).path).lstrip("/")
            refs.append(url_ref(entry, video_id or video_id_from_path(default_id), row))
        elif is_uri(entry):
            default_id = entry.partition("://")[2].partition("/")[2]
            refs.append(VideoRef(video_id or video_id_from_path(default_id), entry, extra=row))
        else:
            resolved = (base / entry).resolve() if not Path(entry).is_absolute() else Path(entry)
            default_id = (
                resolved.relative_to(base).as_posix()
                if resolved.is_relative_to(base)
                else resolved.as_posix().lstrip("/")
            )
            video_id = video_id or video_id_from_path(default_id)
            refs.append(VideoRef(video_id, str(resolved), extra=row))
    return refs


def _one_source(source: str) -> list[VideoRef]:
    if is_url(source):
        return [url_ref(source)]
    if is_uri(source):
        return _remote_videos(source)
    path = Path(source)
    if is_dataset(path):
        return [sequence.ref() for sequence in read_dataset(path)]
    if path.is_dir():
        return _folder_videos(path)
    if is_manifest(path):
        return _manifest_videos(path)
    if _GLOB_CHARS & set(source) and not path.exists():
        return _glob_videos(source)
    if path.is_file() or is_video_name(source):
        # A file named explicitly is a video, whatever its extension; a missing one is
        # kept so that it ends as a failed row, not silently dropped.
        return [VideoRef(video_id_from_path(path.name), source)]
    raise SourceError(f"{source}: no such file, folder or manifest")


def check_unique_ids(refs: Iterable[VideoRef]) -> None:
    """Raise ``SourceError`` naming both paths when two videos share an id."""
    seen: dict[str, str] = {}
    for ref in refs:
        if ref.video_id in seen:
            raise SourceError(
                f"two videos have the id {ref.video_id!r}: {seen[ref.video_id]} and {ref.path}; "
                "give them distinct video_id values in a manifest"
            )
        seen[ref.video_id] = ref.path


def resolve_sources(sources: Sequence[str]) -> list[VideoRef]:
    """Every video named by ``sources``, in the order given.

    Raises:
        SourceError: a source names nothing or yields no videos, or two videos share an id.
        ManifestError: a manifest cannot be read.
    """
    refs = []
    for source in sources:
        found = _one_source(source)
        if not found:
            raise SourceError(f"{source}: no videos found there")
        refs.extend(found)
    check_unique_ids(refs)
    return refs
