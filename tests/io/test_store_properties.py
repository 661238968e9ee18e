"""Property tests of the track store: whatever is written is what is read back.

Hypothesis draws videos (any id, frames with any tracks, keypoints or not, any footer) and
run summaries; each is written with ``io.store``'s writers and read back with plain pyarrow.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from testkit import tracks_path

from tracklake.io import layout, store
from tracklake.io.footer import Footer, read_footer
from tracklake.io.store import TrackFileWriter, read_videos_table, write_videos_table
from tracklake.tracking.config import TRACKER_TYPES, TrackerConfig
from tracklake.types import Tracks, VideoStatus, VideoSummary

CLASS_NAMES = {0: "person", 2: "car"}
UNNAMED_CLASS = 7  # stored under its id: "7"
KEYPOINTS = 3
PROPERTIES = settings(max_examples=40, deadline=None)

finite32 = st.floats(-1e4, 1e4, allow_nan=False, width=32)
texts = st.text(min_size=1, max_size=30)


@st.composite
def frame_tracks(draw: st.DrawFn, with_keypoints: bool) -> tuple[Tracks, dict[str, np.ndarray]]:
    """One frame's tracks, and their ``(M, KEYPOINTS, 3)`` float32 keypoints if asked for."""
    track_ids = draw(st.lists(st.integers(1, 2**31 - 1), unique=True, max_size=6))
    n = len(track_ids)
    tracks = Tracks(
        track_ids,
        draw(arrays(np.float32, (n, 4), elements=finite32)),
        draw(arrays(np.float32, n, elements=st.floats(0, 1, width=32))),
        draw(arrays(np.int16, n, elements=st.sampled_from([*CLASS_NAMES, UNNAMED_CLASS]))),
        np.arange(n),
    )
    if not with_keypoints:
        return tracks, {}
    return tracks, {"keypoints": draw(arrays(np.float32, (n, KEYPOINTS, 3), elements=finite32))}


@st.composite
def videos(draw: st.DrawFn) -> list[tuple[int, Tracks, dict[str, np.ndarray]]]:
    """A video's frames in order: frame number, tracks, extras (the same extras every frame)."""
    with_keypoints = draw(st.booleans())
    numbers = sorted(draw(st.lists(st.integers(0, 2**31 - 1), unique=True, max_size=10)))
    return [(number, *draw(frame_tracks(with_keypoints))) for number in numbers]


@st.composite
def footers(draw: st.DrawFn, video_id: str) -> Footer:
    tracker = TrackerConfig(tracker_type=draw(st.sampled_from(TRACKER_TYPES)))
    return Footer(
        model=draw(texts),
        config_sha256=draw(st.binary(min_size=32, max_size=32)).hex(),
        video_id=video_id,
        source_path=draw(texts),
        source_size=draw(st.integers(-1, 2**62)),
        source_mtime=draw(st.floats(0, 4e9, allow_nan=False)),
        tracker=tracker.to_dict(),
        vid_stride=draw(st.integers(1, 30)),
    )


@PROPERTIES
@given(
    video_id=texts,
    frames=videos(),
    fps=st.floats(1, 240),
    rows_per_flush=st.integers(1, 20),
    data=st.data(),
)
def test_a_video_written_is_the_video_read_back(video_id, frames, fps, rows_per_flush, data):
    footer = data.draw(footers(video_id))
    with tempfile.TemporaryDirectory() as out_dir:
        with (
            mock.patch.object(store, "_ROWS_PER_FLUSH", rows_per_flush),
            TrackFileWriter(out_dir, video_id, CLASS_NAMES, footer) as writer,
        ):
            for number, tracks, extras in frames:
                writer.append(number, number / fps, tracks, extras)
        path = tracks_path(out_dir, video_id)
        assert path.parent == Path(out_dir) / layout.TRACKS
        table = pq.read_table(path)
        assert read_footer(path) == footer

    all_tracks = [tracks for _, tracks, _ in frames]
    counts = [len(tracks) for tracks in all_tracks]
    numbers = np.repeat([number for number, _, _ in frames], counts)
    class_ids = np.concatenate([np.empty(0, np.int16), *(t.class_ids for t in all_tracks)])
    boxes = np.concatenate([np.empty((0, 4), np.float32), *(t.boxes for t in all_tracks)])
    assert table.num_rows == writer.rows == sum(counts)
    assert table.column("video_id").to_pylist() == [video_id] * sum(counts)
    assert table.column("frame").to_pylist() == numbers.tolist()
    assert table.column("time_s").to_pylist() == (numbers / fps).tolist()
    track_ids = [i for tracks in all_tracks for i in tracks.track_ids.tolist()]
    assert table.column("track_id").to_pylist() == track_ids
    assert writer.track_ids == set(track_ids)
    assert table.column("class_id").to_pylist() == class_ids.tolist()
    names = [CLASS_NAMES.get(class_id, str(class_id)) for class_id in class_ids.tolist()]
    assert table.column("class_name").to_pylist() == names
    scores = [score for tracks in all_tracks for score in tracks.scores.tolist()]
    assert table.column("score").to_pylist() == scores
    for i, name in enumerate(("x1", "y1", "x2", "y2")):
        assert table.column(name).to_pylist() == boxes[:, i].tolist()
    written_keypoints = [e["keypoints"] for _, _, e in frames if "keypoints" in e]
    if table.num_rows and written_keypoints:
        keypoints = np.concatenate(written_keypoints).tolist()
        assert table.column("keypoints").to_pylist() == keypoints
    else:
        assert "keypoints" not in table.column_names


EXTRA_COLUMNS = {
    "camera": st.none() | texts,
    "site": st.none() | st.integers(-(2**40), 2**40),
    "weight": st.none() | st.floats(allow_nan=False),
}


@st.composite
def summaries(draw: st.DrawFn) -> VideoSummary:
    status = draw(st.sampled_from(VideoStatus))
    needs_error = status in (VideoStatus.FAILED, VideoStatus.PARTIAL)
    count = st.integers(0, 2**62)
    seconds = st.floats(0, 1e9, allow_nan=False)
    side = st.integers(0, 2**31 - 1)
    extra_names = draw(st.lists(st.sampled_from(list(EXTRA_COLUMNS)), unique=True))
    return VideoSummary(
        video_id=draw(texts),
        path=draw(texts),
        status=status,
        error=draw(st.text(min_size=1 if needs_error else 0, max_size=40)),
        frames=draw(count),
        fps=draw(seconds),
        width=draw(side),
        height=draw(side),
        duration_s=draw(seconds),
        detections=draw(count),
        tracks=draw(count),
        seconds=draw(seconds),
        extra={name: draw(EXTRA_COLUMNS[name]) for name in extra_names},
    )


@PROPERTIES
@given(written=st.lists(summaries(), max_size=8))
def test_run_summaries_written_are_the_summaries_read_back(written):
    with tempfile.TemporaryDirectory() as out_dir:
        write_videos_table(written, out_dir)
        read = read_videos_table(out_dir)
    # every row gets every manifest column any row has; a row without it holds None
    columns = sorted({name for summary in written for name in summary.extra})
    expected = [
        VideoSummary(
            **{**summary.__dict__, "extra": {name: summary.extra.get(name) for name in columns}}
        )
        for summary in written
    ]
    assert read == expected
