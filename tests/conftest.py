"""Fixtures shared by every test module: the real test material in ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from testkit import MOT15_SEQUENCES, SHARED_DIR, ffmpeg, link_sequence

# Fixtures that take from seconds to minutes to build: a tracked run, Ultralytics' answers on
# every TUD frame, model exports, a Ray cluster. `make test` spreads the tests over xdist
# workers, and each worker builds its own copy of a session or module fixture; so the tests
# that share one of these (directly or through another fixture) form one xdist_group, and
# `--dist loadgroup` runs each group on one worker. The others go wherever a worker is free.
EXPENSIVE_SESSION_FIXTURES = {
    "mot15_run",
    "tud_frames",
    "tud_reference",
    "tud_detections",
    "reid_checkpoint",
    "appearance_run",
}
EXPENSIVE_MODULE_FIXTURES = {
    "shared_run", "campus_run", "readme_run", "run", "two_node_cluster",
    "exports", "reid_exports", "long_1080p_video", "detections", "sequence",
    "zeros_in_the_middle", "image_dataset", "frames", "batch_of_32", "bucket", "s3_run",
    "bucket_run",
}  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the xdist_group of the expensive fixtures it uses (see above)."""
    parent: dict[str, str] = {}

    def root(group: str) -> str:
        while parent.setdefault(group, group) != group:
            group = parent[group]
        return group

    groups_of = {}
    for item in items:
        scopes = _fixture_scopes(item)
        groups = [
            f"fixture:{name}"
            for name in sorted(EXPENSIVE_SESSION_FIXTURES)
            if scopes.get(name) == "session"
        ]
        if any(scopes.get(name) == "module" for name in EXPENSIVE_MODULE_FIXTURES):
            groups.append(f"module:{item.nodeid.split('::')[0]}")
        for group in groups[1:]:
            parent[root(group)] = root(groups[0])
        groups_of[item] = groups
    for item, groups in groups_of.items():
        if groups:
            item.add_marker(pytest.mark.xdist_group(root(groups[0])))


def _fixture_scopes(item: pytest.Item) -> dict[str, str]:
    """``{fixture name: scope}`` of the fixtures ``item`` uses, directly or not; the names a
    test is parametrized by show up with scope ``function``."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return {}
    return {name: defs[-1].scope for name, defs in info.name2fixturedefs.items() if defs}


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: the real videos, weights and ground truth (see its README.md)."""
    if not (SHARED_DIR / "videos").is_dir():
        raise RuntimeError(
            f"test material not found at {SHARED_DIR}: set TRACKLAKE_SHARED to the shared/ folder"
        )
    return SHARED_DIR


@pytest.fixture(scope="session")
def shared_videos(shared_dir: Path) -> Path:
    return shared_dir / "videos"


@pytest.fixture(scope="session")
def yolov8n_weights(shared_dir: Path) -> Path:
    return shared_dir / "models" / "yolov8n.pt"


def _first_half(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.fixture(scope="session")
def bad_videos(tmp_path_factory: pytest.TempPathFactory, shared_videos: Path) -> dict[str, Path]:
    """Broken and unusual video files made from a real video, by name.

    ``empty``, ``random``, ``folder`` (a directory named x.mp4), ``index_at_end_cut``
    (an mp4 cut in half whose index was at the end), ``index_at_front_cut`` (cut in half,
    index at the front: decodes part way), ``audio_only``, ``vp9`` (a good VP9 webm),
    ``vfr`` (a good variable-frame-rate mp4: 30 frames at 25 fps, then 41 at 0.12 s apart).
    """
    folder = tmp_path_factory.mktemp("bad-videos")
    source = shared_videos / "TUD-Campus.mp4"
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "random.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    (folder / "x.mp4").mkdir()
    ffmpeg("-i", str(source), "-c", "copy", str(folder / "index-at-end.mp4"))
    ffmpeg("-i", str(source), "-c", "copy", "-movflags", "+faststart", str(folder / "fs.mp4"))
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(folder / "audio-only.mp4"))
    ffmpeg(
        "-i", str(source), "-c:v", "libvpx-vp9", "-b:v", "300k",
        "-deadline", "realtime", "-cpu-used", "8", str(folder / "vp9.webm"),
    )  # fmt: skip
    ffmpeg(
        "-i", str(source), "-vf", "setpts='if(lt(N,30),N*0.04,1.2+(N-30)*0.12)/TB'",
        "-fps_mode", "vfr", "-c:v", "libx264", str(folder / "vfr.mp4"),
    )  # fmt: skip
    cut = folder / "cut"
    cut.mkdir()
    videos = {
        "empty": folder / "empty.mp4",
        "random": folder / "random.mp4",
        "folder": folder / "x.mp4",
        "index_at_end_cut": _first_half(folder / "index-at-end.mp4", cut / "index-at-end.mp4"),
        "index_at_front_cut": _first_half(folder / "fs.mp4", cut / "index-at-front.mp4"),
        "audio_only": folder / "audio-only.mp4",
        "vp9": folder / "vp9.webm",
        "vfr": folder / "vfr.mp4",
    }
    return videos


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server on 127.0.0.1; the AWS variables point at it; yields a boto3 client."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    environment = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield boto3.client("s3")
    server.stop()


CLASS_NAMES = {0: "person", 1: "bicycle", 2: "car"}

# A run small enough to answer every question by hand. Rows: (video, frame, time_s, track,
# class, score, (x1, y1, x2, y2)).
#   cam1 (10 fps, site north): track 1, a person 10x20 px, frames 0-4, moving 3 px right and
#     4 px down a frame (5 px a step: path 20 px in 0.4 s, 50 px/s), scores 0.5 ... 0.9;
#     track 2, a car 10x10 px, frames 0-1, centre x 45 -> 65 (crosses x = 50 at 0.1 s).
#   cam2 (1 fps, site south): track 1, a still person at 0, 30, 60, 90 s and a bicycle at
#     120 s (majority: person; 120 s long); track 2, a bicycle at 70 s and a car at 130 s (a
#     tie: the lower class id, bicycle), moving 30 px; track 3, a person seen once at 100 s.
TINY_ROWS = [
    *[("cam1", f, f / 10, 1, 0, 0.5 + f / 10, (10 + 3 * f, 10 + 4 * f, 20 + 3 * f, 30 + 4 * f))
      for f in range(5)],
    ("cam1", 0, 0.0, 2, 2, 0.9, (40, 0, 50, 10)),
    ("cam1", 1, 0.1, 2, 2, 0.9, (60, 0, 70, 10)),
    *[("cam2", t, float(t), 1, 0, 0.8, (0, 0, 10, 10)) for t in (0, 30, 60, 90)],
    ("cam2", 120, 120.0, 1, 1, 0.8, (0, 0, 10, 10)),
    ("cam2", 70, 70.0, 2, 1, 0.6, (0, 0, 10, 10)),
    ("cam2", 130, 130.0, 2, 2, 0.6, (30, 0, 40, 10)),
    ("cam2", 100, 100.0, 3, 0, 0.4, (80, 80, 90, 90)),
]  # fmt: skip
TINY_VIDEOS = {"cam1": (10.0, "north"), "cam2": (1.0, "south")}


def write_tiny_run(out: Path, rows=TINY_ROWS) -> Path:
    """Write ``rows`` as a run into ``out``: tracks files, videos.parquet, track_summary."""
    from tracklake.io.footer import Footer
    from tracklake.io.store import TrackFileWriter, write_videos_table
    from tracklake.io.track_summary import write_track_summary
    from tracklake.types import Tracks, VideoStatus, VideoSummary

    summaries = []
    for video_id, (fps, site) in TINY_VIDEOS.items():
        video_rows = sorted((row for row in rows if row[0] == video_id), key=lambda r: r[1])
        with TrackFileWriter(out, video_id, CLASS_NAMES, Footer()) as writer:
            for frame in sorted({row[1] for row in video_rows}):
                here = [row for row in video_rows if row[1] == frame]
                tracks = Tracks(
                    track_ids=[row[3] for row in here],
                    boxes=[row[6] for row in here],
                    scores=[row[5] for row in here],
                    class_ids=[row[4] for row in here],
                    detection_index=list(range(len(here))),
                )
                writer.append(frame, here[0][2], tracks)
        last_frame = max(row[1] for row in video_rows)
        summary = VideoSummary(
            video_id=video_id, path=f"/videos/{video_id}.mp4", status=VideoStatus.OK,
            error="", frames=last_frame + 1, fps=fps, width=100, height=100,
            duration_s=(last_frame + 1) / fps, detections=len(video_rows),
            tracks=len({row[3] for row in video_rows}), seconds=1.0, extra={"site": site},
        )  # fmt: skip
        summaries.append(summary)
    write_videos_table(summaries, out)
    write_track_summary(out)
    return out


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``OUT`` of the hand-computable run ``TINY_ROWS`` (see there)."""
    return write_tiny_run(tmp_path_factory.mktemp("tiny") / "out")


@pytest.fixture(scope="session")
def mot15_dataset(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    """The two shared TUD sequences as a MOTChallenge dataset whose sequences are videos."""
    root = tmp_path_factory.mktemp("mot15")
    for name in MOT15_SEQUENCES:
        link_sequence(root, shared_dir, name)
    return root


@pytest.fixture(scope="session")
def mot15_run(tmp_path_factory: pytest.TempPathFactory, mot15_dataset: Path, yolov8n_weights: Path):
    """``tracklake track`` of the MOT15 dataset, persons only, with ``--save-detections``."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("mot15-run") / "out"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tracklake"), "track", str(mot15_dataset), "-o",
         str(out), "--model", str(yolov8n_weights), "--classes", "0", "--no-progress",
         "--save-detections"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out
