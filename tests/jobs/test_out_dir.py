"""Preparing ``OUT``: what a new run removes, on resume and with ``--overwrite``, by the
layout's names alone."""

from __future__ import annotations

from pathlib import Path

from tracklake.io import layout
from tracklake.jobs.run import prepare_out_dir

PER_VIDEO = [layout.video_key(folder, "cam") for folder in layout.PER_VIDEO_FOLDERS]


def fill(out: Path, keys: list[str]) -> None:
    for key in keys:
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        (out / key).write_text(key)


def present(out: Path) -> set[str]:
    return {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()}


def test_a_resumed_run_keeps_every_finished_object_and_drops_temporary_ones(tmp_path):
    temporary = [f"{folder}/{layout.temporary_name('cam.parquet')}"
                 for folder in layout.PER_VIDEO_FOLDERS]  # fmt: skip
    fill(tmp_path, [*PER_VIDEO, *layout.RUN_OBJECTS, layout.EVAL, *temporary])
    prepare_out_dir(tmp_path, overwrite=False)
    assert present(tmp_path) == {*PER_VIDEO, *layout.RUN_OBJECTS, layout.EVAL}


def test_overwrite_removes_the_runs_objects_and_nothing_else(tmp_path):
    fill(tmp_path, [*PER_VIDEO, *layout.RUN_OBJECTS, layout.EVAL, "notes.txt", "tracks.md"])
    prepare_out_dir(tmp_path, overwrite=True)
    assert present(tmp_path) == {layout.EVAL, "notes.txt", "tracks.md"}
