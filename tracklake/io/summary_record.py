"""A ``VideoSummary`` as one record, the same in a file's footer and as a row of
``videos.parquet``: its fields in order, less ``extra`` (the manifest's columns, which only
``videos.parquet`` carries) and ``out_of_space`` (the job's concern, not the output's), the
status as its text; each field's Arrow column follows from its type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, get_type_hints

import pyarrow as pa

from tracklake.types import VideoStatus, VideoSummary

_NOT_RECORDED = ("extra", "out_of_space")
_COLUMN_TYPES = {str: pa.string(), VideoStatus: pa.string(), int: pa.int64(), float: pa.float64()}
_PIXELS = pa.int32()  # width and height: the contract's narrower column


def _column_type(name: str, python_type: type) -> pa.DataType:
    return _PIXELS if name in ("width", "height") else _COLUMN_TYPES[python_type]


_FIELD_TYPES = get_type_hints(VideoSummary)
SUMMARY_COLUMNS = pa.schema(
    [
        (field.name, _column_type(field.name, _FIELD_TYPES[field.name]))
        for field in fields(VideoSummary)
        if field.name not in _NOT_RECORDED
    ]
)


def summary_record(summary: VideoSummary) -> dict[str, Any]:
    """``summary``'s recorded fields in order, its status as text."""
    record = {name: getattr(summary, name) for name in SUMMARY_COLUMNS.names}
    record["status"] = str(summary.status)
    return record


def summary_from_record(
    record: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> VideoSummary:
    """The summary a record (and the manifest columns ``extra``) holds."""
    return VideoSummary(
        **{name: record[name] for name in SUMMARY_COLUMNS.names}, extra=dict(extra or {})
    )
