"""The API's argument types shared by its commands, and their conversion to settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracklake.tracking.config import TrackerConfig, load_tracker_config

Sources = str | Path | Sequence[str | Path]
Tracker = str | Path | TrackerConfig


def source_list(sources: Sources) -> list[str]:
    """``sources`` as a list of strings: one source alone, or each of several."""
    if isinstance(sources, str | Path):
        return [str(sources)]
    return [str(source) for source in sources]


def tracker_config(tracker: Tracker) -> TrackerConfig:
    """A ``TrackerConfig`` as given, or read from a short name or YAML file."""
    return tracker if isinstance(tracker, TrackerConfig) else load_tracker_config(tracker)


def class_list(classes: str | Sequence[int | str] | None) -> tuple[int | str, ...] | None:
    """Classes as ids or names; a string is split at commas (``"person,car"``, ``"0,2"``)."""
    if classes is None:
        return None
    items = classes.split(",") if isinstance(classes, str) else classes
    return tuple(item.strip() if isinstance(item, str) else item for item in items) or None
