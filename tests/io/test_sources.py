"""Every kind of SOURCE resolves to the right videos with the right ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tracklake.io.manifest import ManifestError
from tracklake.io.sources import SourceError, resolve_sources


def ids_and_paths(refs) -> dict[str, str]:
    return {ref.video_id: ref.path for ref in refs}


@pytest.fixture
def archive(tmp_path: Path, shared_videos: Path) -> Path:
    """A folder tree: duplicate basenames, odd names and cases, hidden and non-video files."""
    clip = shared_videos / "TUD-Campus.mp4"
    layout = [
        "cam1/clip.mp4",
        "cam2/clip.mp4",
        "cam2/deeper/Straße mit Leerzeichen.MOV",
        "top.webm",
        ".hidden.mp4",
        ".cache/inside-hidden.mp4",
    ]
    for relative in layout:
        target = tmp_path / "archive" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, target)
    (tmp_path / "archive" / "notes.txt.bak").write_text("not a video")
    (tmp_path / "archive" / "cam1" / "frame.jpg").write_bytes(b"jpeg")
    return tmp_path / "archive"


def test_folder_is_searched_recursively_with_relative_ids(archive):
    found = ids_and_paths(resolve_sources([str(archive)]))
    assert found == {
        "cam1/clip": str(archive / "cam1/clip.mp4"),
        "cam2/clip": str(archive / "cam2/clip.mp4"),
        "cam2/deeper/Straße mit Leerzeichen": str(
            archive / "cam2/deeper/Straße mit Leerzeichen.MOV"
        ),
        "top": str(archive / "top.webm"),
    }


def test_glob_ids_are_relative_to_the_fixed_prefix(archive):
    found = ids_and_paths(resolve_sources([f"{archive}/cam*/**/*.mp4"]))
    assert set(found) == {"cam1/clip", "cam2/clip"}


def test_single_file_and_missing_file(archive, tmp_path):
    refs = resolve_sources([str(archive / "top.webm"), str(tmp_path / "gone.mp4")])
    assert [ref.video_id for ref in refs] == ["top", "gone"]  # the missing one fails later


def test_nothing_there_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="no such file, folder or manifest"):
        resolve_sources([str(tmp_path / "no-such-folder")])


def test_duplicate_ids_name_both_paths(archive, tmp_path):
    other = tmp_path / "other"
    (other / "cam1").mkdir(parents=True)
    shutil.copy(archive / "cam1/clip.mp4", other / "cam1/clip.mp4")
    with pytest.raises(SourceError) as caught:
        resolve_sources([str(archive), str(other)])
    message = str(caught.value)
    assert "'cam1/clip'" in message
    assert str(archive / "cam1/clip.mp4") in message and str(other / "cam1/clip.mp4") in message


def test_text_manifest_with_comments_and_relative_paths(archive):
    manifest = archive / "list.txt"
    manifest.write_text("# cameras\ncam1/clip.mp4\n\n  cam2/clip.mp4  \n# end\n")
    found = ids_and_paths(resolve_sources([str(manifest)]))
    assert found == {
        "cam1/clip": str((archive / "cam1/clip.mp4").resolve()),
        "cam2/clip": str((archive / "cam2/clip.mp4").resolve()),
    }


def write_manifest(path: Path, rows: list[dict]) -> None:
    table = pa.Table.from_pylist(rows)
    if path.suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        pq.write_table(table, path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_table_manifests_carry_ids_and_extra_columns(archive, suffix):
    manifest = archive / f"manifest{suffix}"
    rows = [
        {"path": "cam1/clip.mp4", "video_id": "007", "camera": "north", "height_m": 4.5},
        {"path": str(archive / "top.webm"), "video_id": None, "camera": "south", "height_m": 2.0},
    ]
    write_manifest(manifest, rows)
    refs = resolve_sources([str(manifest)])
    assert [ref.video_id for ref in refs] == ["007", "top"]
    assert refs[0].path == str((archive / "cam1/clip.mp4").resolve())
    assert dict(refs[0].extra) == {"camera": "north", "height_m": 4.5}
    assert dict(refs[1].extra) == {"camera": "south", "height_m": 2.0}


def test_manifest_without_path_column(tmp_path):
    manifest = tmp_path / "bad.csv"
    manifest.write_text("file,camera\na.mp4,north\n")
    with pytest.raises(ManifestError, match=r"bad\.csv.*no 'path' column"):
        resolve_sources([str(manifest)])


def test_manifest_duplicate_ids(tmp_path):
    manifest = tmp_path / "dup.csv"
    manifest.write_text("path,video_id\na.mp4,same\nb.mp4,same\n")
    with pytest.raises(SourceError, match="'same'"):
        resolve_sources([str(manifest)])
