"""Bad input said as it is: JSONL lines counted as the file shows them, symlink loops named,
and videos that cannot be opened handed out first, with their own cause."""

from __future__ import annotations

import pytest

from tracklake.io.errors import VideoError
from tracklake.io.manifest import ManifestError
from tracklake.io.sources import resolve_sources
from tracklake.io.video_diagnosis import check_readable_file
from tracklake.jobs.work_order import longest_first
from tracklake.types import VideoRef


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"path": "a.mp4"}\n{"path": b.mp4}\n', 2),
        ('{"path": "a.mp4"}\n\n{"path": "c.mp4"}\n{"path": b.mp4}\n', 4),
        ("{oops}\n", 1),
    ],
)
def test_a_malformed_jsonl_line_is_named_by_its_line_number(tmp_path, text, line):
    manifest = tmp_path / "videos.jsonl"
    manifest.write_text(text)
    with pytest.raises(ManifestError, match=rf"videos\.jsonl: .*line {line} is not valid JSON"):
        resolve_sources([str(manifest)])


def test_a_symlink_loop_is_said_as_such(tmp_path):
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    with pytest.raises(VideoError, match=r"a\.mp4: not a file: symlink loop"):
        check_readable_file(tmp_path / "a.mp4")


def test_videos_that_cannot_be_opened_go_first_with_their_cause(tmp_path, shared_videos):
    (tmp_path / "random.mp4").write_bytes(b"\x17" * 5000)
    refs = [
        VideoRef("campus", str(shared_videos / "TUD-Campus.mp4")),
        VideoRef("random", str(tmp_path / "random.mp4")),
        VideoRef("stadtmitte", str(shared_videos / "TUD-Stadtmitte.mp4")),
        VideoRef("missing", str(tmp_path / "missing.mp4")),
    ]
    order = longest_first(refs)
    assert [ref.video_id for ref in order.videos] == ["random", "missing", "stadtmitte", "campus"]
    assert sorted(order.unopenable) == ["missing", "random"]
    assert "missing.mp4: missing: no such file" in order.unopenable["missing"]
    assert sum(order.local_frames.values()) == 71 + 179
