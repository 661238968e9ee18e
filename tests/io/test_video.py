"""Decoding real videos, and the errors of broken ones."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from testkit import cpu_plan

from tracklake.config import PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.io.errors import VideoError, VideoErrorKind
from tracklake.io.footer import Footer
from tracklake.io.prefetch import prefetch
from tracklake.io.video import DEFAULT_MAX_FRAME_PIXELS, VideoDecoder
from tracklake.jobs.pipeline import track_video
from tracklake.tracking import load_tracker_config
from tracklake.types import VideoRef, VideoStatus

SHARED_VIDEOS = {
    # name: (frames, width, height, fps), as ../shared/README.md lists them
    "TUD-Campus.mp4": (71, 640, 480, 25.0),
    "TUD-Stadtmitte.mp4": (179, 640, 480, 25.0),
    "pedestrians-1080p.mp4": (302, 1920, 1080, 30.0),
    "street-8frames-mpeg4.mp4": (8, 1920, 1080, 3.0),
}


def decode_all(decoder: VideoDecoder, batch_size: int = 16, vid_stride: int = 1):
    batches = list(decoder.batches(batch_size, vid_stride))
    return (
        np.concatenate([b.frames for b in batches]),
        np.concatenate([b.indices for b in batches]),
        np.concatenate([b.times_s for b in batches]),
    )


@pytest.mark.parametrize("name", sorted(SHARED_VIDEOS))
def test_shared_videos_decode_completely(shared_videos, name):
    frames_expected, width, height, fps = SHARED_VIDEOS[name]
    decoder = VideoDecoder(shared_videos / name, num_threads=1)
    assert decoder.info.frames == frames_expected
    assert (decoder.info.width, decoder.info.height) == (width, height)
    assert decoder.info.fps == pytest.approx(fps, rel=1e-3)
    assert decoder.info.duration_s == pytest.approx(frames_expected / fps, rel=1e-3)
    # batch by batch: all of a 1080p video at once is gigabytes
    indices, times_s, samples = [], [], []
    for batch in decoder.batches(7):
        assert batch.frames.shape[1:] == (height, width, 3)
        assert batch.frames.dtype == np.uint8
        indices.append(batch.indices)
        times_s.append(batch.times_s)
        samples.append(batch.frames[:, ::8, ::8].copy())  # not a view holding the batch
    np.testing.assert_array_equal(np.concatenate(indices), np.arange(frames_expected))
    np.testing.assert_allclose(np.concatenate(times_s), np.arange(frames_expected) / fps, atol=1e-3)
    assert np.concatenate(samples).std() > 10  # real pictures, not a constant fill


def test_vid_stride_takes_every_nth_frame(shared_videos):
    decoder = VideoDecoder(shared_videos / "TUD-Campus.mp4", num_threads=1)
    every, _, _ = decode_all(decoder)
    strided, indices, times_s = decode_all(decoder, batch_size=5, vid_stride=3)
    np.testing.assert_array_equal(indices, np.arange(0, 71, 3))
    np.testing.assert_array_equal(strided, every[::3])
    np.testing.assert_allclose(times_s, indices / 25.0, atol=1e-3)


def test_resize_at_decode_time(shared_videos):
    decoder = VideoDecoder(shared_videos / "pedestrians-1080p.mp4", num_threads=2)
    batch = next(decoder.batches(4, size=(480, 270)))
    assert (decoder.info.width, decoder.info.height) == (1920, 1080)  # the stream as stored
    assert batch.frames.shape == (4, 270, 480, 3)


def test_rgb_channel_order(shared_videos):
    """The decoded frames are RGB: a frame of the street scene matches ffmpeg's rgb24."""
    import subprocess

    import imageio_ffmpeg

    path = shared_videos / "TUD-Campus.mp4"
    raw = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    reference = np.frombuffer(raw, np.uint8).reshape(480, 640, 3).astype(int)
    ours = next(VideoDecoder(path, num_threads=1).batches(1)).frames[0].astype(int)
    assert np.abs(ours - reference).mean() < 2
    assert np.abs(ours[..., ::-1] - reference).mean() > np.abs(ours - reference).mean() + 1


def test_vp9_webm_decodes(bad_videos):
    frames, _, _ = decode_all(VideoDecoder(bad_videos["vp9"], num_threads=2))
    assert frames.shape == (71, 480, 640, 3)
    assert frames.std() > 10


def test_variable_frame_rate_gets_real_times(bad_videos):
    decoder = VideoDecoder(bad_videos["vfr"], num_threads=1)
    _, indices, times_s = decode_all(decoder)
    assert len(indices) == 71
    steps = np.diff(times_s)
    np.testing.assert_allclose(steps[:29], 0.04, atol=0.005)
    np.testing.assert_allclose(steps[30:], 0.12, atol=0.005)
    assert times_s[-1] == pytest.approx(1.2 + 40 * 0.12, abs=0.01)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("empty", VideoErrorKind.EMPTY),
        ("random", VideoErrorKind.NOT_A_VIDEO),
        ("folder", VideoErrorKind.NOT_A_FILE),
        ("index_at_end_cut", VideoErrorKind.TRUNCATED),
        ("audio_only", VideoErrorKind.NO_VIDEO_STREAM),
    ],
)
def test_broken_files_fail_to_open_with_their_cause(bad_videos, name, kind):
    with pytest.raises(VideoError) as caught:
        VideoDecoder(bad_videos[name], num_threads=1)
    assert caught.value.kind == kind
    assert str(bad_videos[name]) in str(caught.value)
    assert not caught.value.is_partial


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="missing") as caught:
        VideoDecoder(tmp_path / "nope.mp4")
    assert caught.value.kind == VideoErrorKind.MISSING


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_unreadable_file(tmp_path, shared_videos):
    path = tmp_path / "locked.mp4"
    path.write_bytes((shared_videos / "TUD-Campus.mp4").read_bytes())
    path.chmod(0)
    with pytest.raises(VideoError) as caught:
        VideoDecoder(path)
    assert caught.value.kind == VideoErrorKind.UNREADABLE


def test_cut_file_with_index_at_front_yields_its_good_frames_then_partial(bad_videos):
    decoder = VideoDecoder(bad_videos["index_at_front_cut"], num_threads=1)
    delivered = 0
    with pytest.raises(VideoError) as caught:
        for batch in decoder.batches(8):
            assert batch.frames.std() > 10
            delivered += len(batch)
    error = caught.value
    assert error.kind == VideoErrorKind.TRUNCATED
    assert error.is_partial
    assert 0 < delivered == error.frames_decoded < 71
    assert f"frame {delivered - 1}" in error.detail


def test_prefetch_passes_items_and_errors_through():
    def items():
        yield from range(5)
        raise VideoError("v.mp4", VideoErrorKind.TRUNCATED, "broke", frames_decoded=5)

    received = []
    with pytest.raises(VideoError, match="broke"):
        for item in prefetch(items(), depth=2, stall_timeout_s=5, on_stall=RuntimeError):
            received.append(item)
    assert received == [0, 1, 2, 3, 4]


def test_prefetch_bounds_a_stalled_producer():
    release = threading.Event()

    def stuck():
        yield 1
        release.wait(30)  # a decoder spinning on a bad frame count
        yield 2

    def on_stall():
        return VideoError("v.mp4", VideoErrorKind.TIMEOUT, "no frame for 0.2 s")

    started = time.monotonic()
    received = []
    with pytest.raises(VideoError) as caught:
        for item in prefetch(stuck(), depth=1, stall_timeout_s=0.2, on_stall=on_stall):
            received.append(item)
    release.set()
    assert received == [1]
    assert caught.value.kind == VideoErrorKind.TIMEOUT
    assert time.monotonic() - started < 10


def test_a_header_claiming_frames_over_the_limit_fails_before_decoding(shared_videos, tmp_path):
    """The limit is checked against the header, before any frame is decoded; a hostile file
    claiming 16384x16384 frames fails the same way under the default limit."""
    assert 16384 * 16384 > DEFAULT_MAX_FRAME_PIXELS >= 7680 * 4320  # 8K passes
    path = shared_videos / "TUD-Campus.mp4"
    with pytest.raises(VideoError) as caught:
        VideoDecoder(path, max_frame_pixels=640 * 480 - 1)
    assert caught.value.kind == VideoErrorKind.FRAME_TOO_LARGE
    assert "640x480" in caught.value.detail and "--max-frame-pixels" in caught.value.detail

    config = PipelineConfig(DetectorConfig(), load_tracker_config("bytetrack"))
    limited = replace(config, max_frame_pixels=1000)
    summary = track_video(
        VideoRef("campus", str(path)), None, cpu_plan(limited), tmp_path, Footer()
    )
    assert summary.status == VideoStatus.FAILED and "frame too large" in summary.error
