"""The local folder as an object store: an object appears whole on commit or not at all."""

from __future__ import annotations

from pathlib import Path

from tracklake.io import layout
from tracklake.io.object_store import open_store

KEY = layout.video_key(layout.TRACKS, "cam")


def test_an_object_appears_only_when_committed(tmp_path):
    store = open_store(tmp_path)
    pending = store.begin(KEY)
    Path(pending.file).write_bytes(b"half")
    assert not store.exists(KEY)
    assert store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN) == []
    assert store.keys(layout.TRACKS, layout.TEMPORARY_PATTERN) != []  # found by its pattern
    pending.commit()
    assert store.exists(KEY) and store.keys(layout.TRACKS, layout.VIDEO_OBJECT_PATTERN) == [KEY]
    with store.open(KEY) as read:
        assert read.read() == b"half"
    assert store.location(KEY) == str(tmp_path / KEY)


def test_an_aborted_object_leaves_the_old_one_and_nothing_else(tmp_path):
    store = open_store(tmp_path)
    first = store.begin(KEY)
    Path(first.file).write_bytes(b"old")
    first.commit()
    second = store.begin(KEY)
    Path(second.file).write_bytes(b"new")
    second.abort()
    assert [p.name for p in (tmp_path / layout.TRACKS).iterdir()] == ["cam.parquet"]
    assert (tmp_path / KEY).read_bytes() == b"old"


def test_delete_takes_an_object_or_a_folder_and_missing_is_no_error(tmp_path):
    store = open_store(tmp_path)
    for key in (KEY, layout.video_key(layout.CAMERA_MOTION, "cam"), layout.RUN):
        pending = store.begin(key)
        Path(pending.file).write_text(key)
        pending.commit()
    store.delete(layout.DETECTIONS)
    store.delete(layout.RUN)
    store.delete(layout.VIDEOS)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [KEY]
