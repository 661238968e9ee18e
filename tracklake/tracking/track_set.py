"""The live tracks of one tracker as a table of arrays, one row per track.

Rows are only the tracks that can still be matched: a removed track's row is deleted, so the
table's size follows the scene, not the video's length. Each tracker declares its table as a
dataclass of columns (``TrackSet`` or a subclass adding that tracker's own); a column is an
array whose first dimension is the row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Self

import numpy as np

TRACKED = np.int8(0)
LOST = np.int8(1)
NEW = np.int8(2)  # TrackTrack: started, not yet matched often enough to be tracked


@dataclass(slots=True)
class TrackSet:
    """The columns every tracker uses, ``T`` rows.

    Attributes:
        track_id: ``(T,)`` int32; 0 until the track is confirmed.
        confirmed: ``(T,)`` bool; reported. A new track is confirmed by its second match (at
            once on a video's first frame).
        state: ``(T,)`` int8; ``TRACKED`` (matched on the last frame, or, for FastTrack,
            waiting out a short miss), ``LOST``, or (TrackTrack) ``NEW``.
        mean: ``(T, 8)`` float64 Kalman mean.
        covariance: ``(T, 8, 8)`` float64 Kalman covariance.
        score: ``(T,)`` float32 score of the last matched detection.
        class_id: ``(T,)`` int16 class of the last matched detection.
        detection_index: ``(T,)`` int32 row of the last matched detection in its frame.
        start_frame: ``(T,)`` int64 first frame matched (1-based).
        last_frame: ``(T,)`` int64 last frame matched (1-based).
        expired: ``(T,)`` bool; the track's buffer ran out once (see ``TrackBook.retire``).
    """

    track_id: np.ndarray
    confirmed: np.ndarray
    state: np.ndarray
    mean: np.ndarray
    covariance: np.ndarray
    score: np.ndarray
    class_id: np.ndarray
    detection_index: np.ndarray
    start_frame: np.ndarray
    last_frame: np.ndarray
    expired: np.ndarray

    @classmethod
    def extending(cls, base: TrackSet, **columns: np.ndarray) -> Self:
        """This table from ``base``'s columns (shared, not copied; ``base`` is of a parent
        class) and the columns this class adds."""
        shared = {name: getattr(base, name) for name in _column_names(type(base))}
        return cls(**shared, **columns)

    def __len__(self) -> int:
        return len(self.track_id)

    def append(self, rows: Self) -> None:
        """Add ``rows``, a table of the same class."""
        if type(rows) is not type(self):
            raise TypeError(f"cannot append {type(rows).__name__} to {type(self).__name__}")
        fresh = not len(self)  # an empty table takes the new rows' column shapes
        for name in _column_names(type(self)):
            values = getattr(rows, name)
            setattr(self, name, values if fresh else np.concatenate([getattr(self, name), values]))

    def keep(self, mask: np.ndarray) -> None:
        """Delete the rows where ``mask`` (``(T,)`` bool) is False."""
        if not mask.all():
            for name in _column_names(type(self)):
                setattr(self, name, getattr(self, name)[mask])


_COLUMN_NAMES: dict[type[TrackSet], tuple[str, ...]] = {}


def _column_names(table: type[TrackSet]) -> tuple[str, ...]:
    """The columns of a ``TrackSet`` class, in order; looked up once per class (trackers ask
    every frame)."""
    names = _COLUMN_NAMES.get(table)
    if names is None:
        names = _COLUMN_NAMES[table] = tuple(field.name for field in dataclasses.fields(table))
    return names
