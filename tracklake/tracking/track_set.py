"""The live tracks of one tracker as a table of arrays, one row per track.

Rows are only the tracks that can still be matched: a removed track's row is deleted, so the
table's size follows the scene, not the video's length.
"""

from __future__ import annotations

import numpy as np

TRACKED = np.int8(0)
LOST = np.int8(1)


class TrackSet:
    """Named columns of equal length; a column is any array whose first dimension is the row.

    Columns every tracker uses (trackers add their own):
        track_id ``(T,)`` int32: 0 until the track is confirmed.
        confirmed ``(T,)`` bool: reported; a new track is confirmed by its second match
            (at once on a video's first frame).
        state ``(T,)`` int8: ``TRACKED`` (matched on the last frame) or ``LOST``.
        mean ``(T, 8)``, covariance ``(T, 8, 8)`` float64: Kalman state.
        score ``(T,)`` float32, class_id ``(T,)`` int16, detection_index ``(T,)`` int32:
            of the last matched detection.
        start_frame, last_frame ``(T,)`` int64: first and last frames matched (1-based).
        expired ``(T,)`` bool: the track's buffer ran out once (see ``ByteTrack._expire``).
    """

    def __init__(self, columns: dict[str, np.ndarray] | None = None) -> None:
        self._columns = dict(columns or {})

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["_columns"][name]
        except KeyError:
            raise AttributeError(f"TrackSet has no column {name!r}") from None

    def set(self, name: str, values: np.ndarray) -> None:
        """Replace a whole column."""
        self._columns[name] = values

    def append(self, rows: dict[str, np.ndarray]) -> None:
        """Add rows, given as the full set of columns."""
        if not len(self):
            self._columns = dict(rows)
            return
        if rows.keys() != self._columns.keys():
            raise ValueError(f"columns differ: {sorted(rows)} vs {sorted(self._columns)}")
        for name, values in rows.items():
            self._columns[name] = np.concatenate([self._columns[name], values])

    def keep(self, mask: np.ndarray) -> None:
        """Delete the rows where ``mask`` is False."""
        if not mask.all():
            self._columns = {name: values[mask] for name, values in self._columns.items()}
