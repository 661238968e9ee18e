"""A video damaged or cut short part way keeps every frame FFmpeg can decode, the same count
on every run, and says what happened in a user's words."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.video import VideoDecoder

ZEROS = 200_000  # bytes overwritten in the middle of the file


def ffmpeg_frame_count(path: Path) -> int:
    """Frames the ffmpeg command-line tool decodes from ``path``, errors and all."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-",
         "-progress", "pipe:1", "-nostats"],
        capture_output=True, text=True,
    )  # fmt: skip
    return int(re.findall(r"frame=(\d+)", result.stdout)[-1])


def decode_counting(path: Path, threads: int) -> tuple[int, VideoError | None]:
    frames, error = 0, None
    try:
        for batch in VideoDecoder(path, num_threads=threads).batches(16, size=(640, 360)):
            frames += len(batch)
    except VideoError as raised:
        error = raised
    return frames, error


@pytest.fixture(scope="module")
def zeros_in_the_middle(tmp_path_factory: pytest.TempPathFactory, shared_videos: Path) -> Path:
    data = (shared_videos / "pedestrians-1080p.mp4").read_bytes()
    middle = len(data) // 2
    damaged = tmp_path_factory.mktemp("damaged") / "zeros-in-the-middle.mp4"
    damaged.write_bytes(data[:middle] + bytes(ZEROS) + data[middle + ZEROS :])
    return damaged


@pytest.mark.parametrize(
    "name", [pytest.param("zeros_in_the_middle", marks=pytest.mark.slow), "index_at_front_cut"]
)
def test_every_decodable_frame_is_kept_the_same_on_every_run(name, request, bad_videos):
    path = request.getfixturevalue(name) if name == "zeros_in_the_middle" else bad_videos[name]
    expected = ffmpeg_frame_count(path)
    runs = [decode_counting(path, threads) for threads in (1, 2, 2, 2)]
    for frames, error in runs:
        assert frames == expected
        assert error is not None and error.kind == VideoErrorKind.TRUNCATED
        assert error.frames_decoded == frames
        assert str(path) in str(error)
        assert ".cc" not in error.detail and "Check failed" not in error.detail
    assert len({str(error) for _, error in runs}) == 1


def test_damage_in_the_middle_keeps_frames_after_it(zeros_in_the_middle):
    frames, error = decode_counting(zeros_in_the_middle, 2)
    assert "damaged packet" in error.detail and "the frames around them were kept" in error.detail
    first_lost = int(re.search(r"after (\d+) good frames", error.detail).group(1))
    assert first_lost < 200 < frames  # the stream recovered after the zeros
