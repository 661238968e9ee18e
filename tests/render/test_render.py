"""Rendering: a hand-built track on a real video, encoded as H.264, decoded back and checked."""

from __future__ import annotations

import av
import numpy as np
import pytest
from click.testing import CliRunner

import tracklake
from tracklake.cli import main
from tracklake.io.footer import Footer
from tracklake.io.store import TrackFileWriter, write_videos_table
from tracklake.render.colours import track_colour
from tracklake.render.sheet import pick_frames
from tracklake.types import Tracks, VideoStatus, VideoSummary

TRACK_ID = 7
BOX = (100.0, 150.0, 300.0, 400.0)  # x1, y1, x2, y2 in the 640x480 frame
TRACKED = range(10, 31)  # frames 10 to 30 (0.4 s to 1.2 s at 25 fps)


@pytest.fixture(scope="module")
def campus_run(tmp_path_factory, shared_videos):
    """A run over TUD-Campus (71 frames, 25 fps) with one still person, track 7."""
    out = tmp_path_factory.mktemp("render") / "out"
    with TrackFileWriter(out, "campus", {0: "person"}, Footer()) as writer:
        for frame in TRACKED:
            writer.append(frame, frame / 25, Tracks([TRACK_ID], [BOX], [0.9], [0], [0]))
    summary = VideoSummary(
        "campus", str(shared_videos / "TUD-Campus.mp4"), VideoStatus.OK, "", 71, 25.0, 640, 480,
        2.84, len(TRACKED), 1, 1.0,
    )  # fmt: skip
    write_videos_table([summary], out)
    return out


def decode(path) -> tuple[list[np.ndarray], av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return frames, stream


def colour_distance(pixels: np.ndarray, colour) -> float:
    """Median over pixels of the largest channel difference from ``colour``."""
    return float(np.median(np.abs(pixels.astype(int) - np.array(colour)).max(axis=-1)))


def test_track_colours_are_stable_and_distinct():
    assert track_colour(1) == (38, 101, 255)  # the same in every run and release
    colours = {track_colour(track_id) for track_id in range(1, 21)}
    assert len(colours) == 20
    assert all(0 <= channel <= 255 for colour in colours for channel in colour)


def test_rendered_video_has_the_frames_size_and_box_colour(campus_run, tmp_path):
    output = tmp_path / "annotated.mp4"
    arguments = ["--video", "campus", "-o", str(output), "--start", "0.2", "--end", "1.0"]
    result = CliRunner().invoke(main, ["render", str(campus_run), *arguments])
    assert result.exit_code == 0, result.output
    frames, stream = decode(output)
    assert stream.codec_context.name == "h264" and stream.average_rate == 25
    assert len(frames) == 20  # source frames 5 to 24: times 0.2 s to 0.96 s
    assert frames[0].shape == (480, 640, 3)
    left_edge = slice(170, 380), 100  # rows down the box's left edge, at x = 100
    colour = track_colour(TRACK_ID)
    assert colour_distance(frames[10][left_edge], colour) < 30  # source frame 15: tracked
    assert colour_distance(frames[0][left_edge], colour) > 60  # source frame 5: plain


def test_scaled_render_and_class_filter(campus_run, tmp_path):
    output = tmp_path / "small.mp4"
    written = tracklake.render_video(campus_run, "campus", output, end_s=0.8, classes="car",
                                     scale=0.5)  # fmt: skip
    frames, _ = decode(output)
    assert written == len(frames) == 20 and frames[0].shape == (240, 320, 3)
    left_edge = slice(85, 190), 50
    assert colour_distance(frames[15][left_edge], track_colour(TRACK_ID)) > 60  # no car drawn


def test_contact_sheet(campus_run, tmp_path):
    output = tmp_path / "sheet.png"
    assert tracklake.render_sheet(campus_run, output, frames_per_video=3, classes=[0]) == (1, 3)
    with av.open(str(output)) as container:
        sheet = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert sheet.shape == (240, 960, 3)
    # Tiles show frames 10, 20, 30 (the tracked ones), box scaled by 0.5: left edge x = 50.
    for column in range(3):
        tile_edge = sheet[85:190, column * 320 + 50]
        assert colour_distance(tile_edge, track_colour(TRACK_ID)) < 10


def test_pick_frames_prefers_tracked_frames():
    assert pick_frames(np.array([10, 20, 30, 40]), 100, 2).tolist() == [10, 40]
    assert pick_frames(np.array([], np.int64), 9, 3).tolist() == [0, 4, 8]
    assert pick_frames(np.array([5]), 9, 3).tolist() == [5]


def test_render_errors(campus_run, tmp_path):
    unknown = CliRunner().invoke(main, ["render", str(campus_run), "--video", "nope",
                                        "-o", str(tmp_path / "x.mp4")])  # fmt: skip
    assert unknown.exit_code == 2 and "no tracked video 'nope' (videos: campus)" in unknown.output
    both = CliRunner().invoke(main, ["render", str(campus_run), "--sheet", "--video", "campus",
                                     "-o", str(tmp_path / "x.png")])  # fmt: skip
    assert both.exit_code == 2 and "exactly one of" in both.output
