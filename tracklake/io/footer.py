"""The footer contract of tracklake's Parquet files: every ``tracklake.*`` key, in one place.

Each tracks file (``OUT/tracks/<video>.parquet``) and saved-detections file
(``OUT/detections/<video>.parquet``) carries key-value metadata in its Parquet footer: what
made it (versions, model, configuration), where it came from (the source's path, size and
mtime), and how the video ended (its summary). ``Footer`` is that metadata as one typed record;
``to_metadata`` spells it as the file's string entries and ``from_metadata`` reads them back.
Writers and readers go through it, so the keys and the text of each value are written here
only. A field left ``None`` has no entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import pyarrow.parquet as pq

from tracklake.io.summary_record import summary_from_record, summary_record
from tracklake.types import VideoSummary
from tracklake.versions import __version__

SCHEMA_VERSION = "1"


class _Codec(NamedTuple):
    """How one field's value is written as footer text, and read back."""

    encode: Callable[[Any], str]
    decode: Callable[[str], Any]


_TEXT = _Codec(str, str)
_INT = _Codec(str, int)
_FLOAT = _Codec(repr, float)  # repr round-trips a float exactly
_TRACKER = _Codec(lambda settings: json.dumps(settings, sort_keys=True), json.loads)
_CLASS_NAMES = _Codec(
    lambda names: json.dumps({str(class_id): name for class_id, name in names.items()}),
    lambda text: {int(class_id): name for class_id, name in json.loads(text).items()},
)
_SUMMARY = _Codec(
    lambda summary: json.dumps(summary_record(summary)),
    lambda text: summary_from_record(json.loads(text)),
)


def _entry(key: str, codec: _Codec) -> dict[str, Any]:
    """A field's metadata: its footer key and how its value is written."""
    return {"key": key, "codec": codec}


@dataclass(frozen=True)
class Footer:
    """The footer of a tracks or saved-detections file; fields in the order they are written.

    Attributes:
        schema_version: the version of this contract (``SCHEMA_VERSION``).
        version: the tracklake version that wrote the file.
        model: the model as the run named it.
        config_sha256: the run's fingerprint (``PipelineConfig.fingerprint``): a resumed run
            skips a video only when it matches.
        model_sha256: sha256 of the model file.
        worker_node, worker_host: the Ray node id and host name of the worker that wrote it.
        video_id, source_path: the video, as in ``VideoRef``.
        source_size, source_mtime: the source's size in bytes and mtime when it was read
            (``-1`` and ``0.0`` when it could not be stat'ed).
        tracker: the tracker's settings (``TrackerConfig.to_dict``).
        vid_stride: every n-th frame was read.
        detections_conf: a detections file: the ``conf`` the run's tracker saw them through.
        detections_floor: a detections file: nothing scoring at or below this was saved.
        fps: a detections file: the video's frame rate.
        class_names: a detections file: model class id -> name.
        summary: how the video ended; written when the file is complete (``extra`` is not
            stored: read back, it is empty).
        frames: a detections file: frames read (after ``vid_stride``), detections or not.
        retracked_from_conf: a file of ``retrack``: the ``conf`` the saved detections were
            kept above.
        camera_motion: a detections file: the ``gmc_method`` whose per-frame warps are saved
            beside it (``detections/camera_motion/<video>.parquet``).
    """

    # None only when read from a file without them (``from_metadata``)
    schema_version: str | None = field(
        default=SCHEMA_VERSION, metadata=_entry("tracklake.schema_version", _TEXT)
    )
    version: str | None = field(default=__version__, metadata=_entry("tracklake.version", _TEXT))
    model: str | None = field(default=None, metadata=_entry("tracklake.model", _TEXT))
    config_sha256: str | None = field(
        default=None, metadata=_entry("tracklake.config_sha256", _TEXT)
    )
    model_sha256: str | None = field(default=None, metadata=_entry("tracklake.model_sha256", _TEXT))
    worker_node: str | None = field(default=None, metadata=_entry("tracklake.worker_node", _TEXT))
    worker_host: str | None = field(default=None, metadata=_entry("tracklake.worker_host", _TEXT))
    video_id: str | None = field(default=None, metadata=_entry("tracklake.video_id", _TEXT))
    source_path: str | None = field(default=None, metadata=_entry("tracklake.source_path", _TEXT))
    source_size: int | None = field(default=None, metadata=_entry("tracklake.source_size", _INT))
    source_mtime: float | None = field(
        default=None, metadata=_entry("tracklake.source_mtime", _FLOAT)
    )
    tracker: dict[str, Any] | None = field(
        default=None, metadata=_entry("tracklake.tracker", _TRACKER)
    )
    vid_stride: int | None = field(default=None, metadata=_entry("tracklake.vid_stride", _INT))
    detections_conf: float | None = field(
        default=None, metadata=_entry("tracklake.detections.conf", _FLOAT)
    )
    detections_floor: float | None = field(
        default=None, metadata=_entry("tracklake.detections.floor", _FLOAT)
    )
    fps: float | None = field(default=None, metadata=_entry("tracklake.fps", _FLOAT))
    class_names: dict[int, str] | None = field(
        default=None, metadata=_entry("tracklake.class_names", _CLASS_NAMES)
    )
    summary: VideoSummary | None = field(
        default=None, metadata=_entry("tracklake.summary", _SUMMARY)
    )
    frames: int | None = field(default=None, metadata=_entry("tracklake.frames", _INT))
    retracked_from_conf: float | None = field(
        default=None, metadata=_entry("tracklake.retracked_from_conf", _FLOAT)
    )
    camera_motion: str | None = field(
        default=None, metadata=_entry("tracklake.detections.camera_motion", _TEXT)
    )

    def to_metadata(self) -> dict[str, str]:
        """The footer's entries, key -> text, in field order; unset fields have none."""
        return {
            spec.metadata["key"]: spec.metadata["codec"].encode(getattr(self, spec.name))
            for spec in fields(self)
            if getattr(self, spec.name) is not None
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str]) -> Footer:
        """The footer whose entries are ``metadata``; keys it does not know are ignored, a
        field without an entry is ``None`` (``schema_version`` and ``version`` too)."""
        return cls(
            **{
                spec.name: (
                    spec.metadata["codec"].decode(metadata[spec.metadata["key"]])
                    if spec.metadata["key"] in metadata
                    else None
                )
                for spec in fields(cls)
            }
        )

    def require(self, name: str) -> Any:
        """The value of field ``name``.

        Raises:
            KeyError: the field is unset; the error names its footer key.
        """
        value = getattr(self, name)
        if value is None:
            raise KeyError(next(s.metadata["key"] for s in fields(self) if s.name == name))
        return value


def read_footer(path: str | Path | BinaryIO | pq.ParquetFile) -> Footer:
    """The footer of a tracklake Parquet file, by path, open for reading, or already opened
    as a ``ParquetFile`` (one that is not tracklake's gives an empty ``Footer``).

    Raises:
        OSError, pyarrow.ArrowException: the file cannot be read as Parquet.
    """
    parquet = path if isinstance(path, pq.ParquetFile) else pq.ParquetFile(path)
    raw = parquet.metadata.metadata or {}
    return Footer.from_metadata({key.decode(): value.decode() for key, value in raw.items()})
