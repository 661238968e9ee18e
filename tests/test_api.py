"""The Python API: the README's example run for real, the command line's options and defaults
taken from the API's and the settings dataclasses', a cheap ``import tracklake``."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import shutil
import subprocess
import sys

import click
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from testkit import REPO_ROOT

import tracklake
from tracklake import api
from tracklake.cli import main
from tracklake.config import JobConfig, PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.eval.scores import COMBINED
from tracklake.io import layout
from tracklake.io.detection_store import DETECTIONS_FLOOR
from tracklake.tracking import TrackerConfig

# Each command and the API functions it calls.
COMMAND_FUNCTIONS = {
    "probe": (api.probe,),
    "track": (api.track,),
    "retrack": (api.retrack,),
    "eval": (api.evaluate,),
    "tune": (api.tune,),
    "query": (api.query,),
    "info": (api.info,),
    "render": (api.render_video, api.render_sheet),
    "export-mot": (api.export_mot,),
}
# Options of the command line alone: how a result is printed, an old spelling, which
# function ``render`` calls.
CLI_ONLY_OPTIONS = {"fmt", "conf", "sheet"}


def readme_example() -> str:
    """The first ``python`` code block of the README's "Python API" section."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def api_defaults(function) -> dict[str, object]:
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def test_import_loads_neither_ray_nor_torch():
    code = (
        "import sys, tracklake, tracklake.cli\n"
        "functions = [getattr(tracklake, name) for name in tracklake.__all__]\n"
        "print(sorted({'ray', 'torch', 'duckdb', 'trackeval', 'cv2', 'av'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_package_exports_the_api():
    exported = set(tracklake.__all__) - {"__version__"}
    functions = [function for group in COMMAND_FUNCTIONS.values() for function in group]
    assert exported == {function.__name__ for function in functions}
    for name in exported:
        assert getattr(tracklake, name) is getattr(api, name)
    with pytest.raises(AttributeError, match="no attribute 'tracks'"):
        _ = tracklake.tracks


def test_every_track_default_is_a_settings_dataclass_default():
    fields = {
        field.name: field.default
        for config in (DetectorConfig, PipelineConfig, JobConfig)
        for field in dataclasses.fields(config)
    }
    derived = {
        "tracker": TrackerConfig().tracker_type,
        "decode_buffer_mb": PipelineConfig.decode_buffer_bytes >> 20,
    }
    settings = {**fields, **derived}
    defaults = api_defaults(api.track)
    assert defaults == {name: settings[name] for name in defaults}


@pytest.mark.parametrize("command", COMMAND_FUNCTIONS)
def test_each_command_has_its_functions_names_and_defaults(command):
    functions = COMMAND_FUNCTIONS[command]
    params = main.get_command(click.Context(main), command).params
    options = [p for p in params if isinstance(p, click.Option) and p.name not in CLI_ONLY_OPTIONS]
    parameters = [p for f in functions for p in inspect.signature(f).parameters.values()]
    assert {option.name for option in options} <= {p.name for p in parameters}
    assert {p.name for p in parameters if p.kind is p.KEYWORD_ONLY} <= {p.name for p in params}
    for function in functions:
        defaults = api_defaults(function)
        for option in options:
            if option.name in defaults:
                assert option.default == defaults[option.name], (function.__name__, option.name)


def test_info_summarises_a_run_as_the_command_prints_it(tiny_run):
    report = tracklake.info(tiny_run)
    lines = report.splitlines()
    assert lines[0].startswith("videos: 2  ok: 2  ")
    assert lines[1:6] == [  # conftest's TINY_ROWS, counted by hand
        "frames: 136  detections: 15  tracks: 5", "tracks per class:", "  person: 3",
        "  bicycle: 2", "  car: 2",
    ]  # fmt: skip
    printed = CliRunner().invoke(main, ["info", str(tiny_run)])
    assert printed.exit_code == 0 and printed.stdout == report + "\n"


def test_info_rebuilds_the_track_summary_only_when_asked(tiny_run, tmp_path):
    run = shutil.copytree(tiny_run, tmp_path / "run")
    summary = run / layout.TRACK_SUMMARY
    summary.unlink()
    tracklake.info(run)
    assert not summary.exists()
    assert tracklake.info(run, rebuild=True) == tracklake.info(tiny_run)
    assert pq.read_table(summary).equals(pq.read_table(tiny_run / layout.TRACK_SUMMARY))
    with pytest.raises(FileNotFoundError, match="not a tracklake output folder"):
        tracklake.info(tmp_path, rebuild=True)
    assert not (tmp_path / layout.TRACK_SUMMARY).exists()


def test_export_mot_writes_a_file_per_video(tiny_run, tmp_path):
    written = tracklake.export_mot(tiny_run, tmp_path / "mot")
    assert written == [tmp_path / "mot" / "cam1.txt", tmp_path / "mot" / "cam2.txt"]
    cam1, cam2 = (path.read_text().splitlines() for path in written)
    assert cam1[:2] == [  # frame 0 of TINY_ROWS' cam1, 1-based, boxes as x, y, w, h
        "1,1,10.00,10.00,10.00,20.00,0.5000,-1,-1,-1", "1,2,40.00,0.00,10.00,10.00,0.9000,-1,-1,-1",
    ]  # fmt: skip
    assert len(cam1) == 7 and len(cam2) == 8  # every row, every class
    printed = CliRunner().invoke(main, ["export-mot", str(tiny_run), "-o", str(tmp_path / "cli")])
    assert printed.stdout == f"wrote 2 files to {tmp_path / 'cli'}\n"
    assert (tmp_path / "cli" / "cam2.txt").read_text() == written[1].read_text()


@pytest.mark.slow
def test_render_draws_a_real_run(mot15_run, tmp_path):
    import av

    video = tmp_path / "campus.mp4"
    assert tracklake.render_video(mot15_run, "TUD-Campus", video, start_s=2.0) == 21
    with av.open(str(video)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 21  # frames 50 to 70 of 71
    sheets = {classes: tmp_path / f"{classes}.png" for classes in ("person", "car")}
    for classes, sheet in sheets.items():
        assert tracklake.render_sheet(mot15_run, sheet, classes=classes) == (2, 4)
    with av.open(str(sheets["person"])) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape == (2 * 240, 4 * 320, 3)  # both 640x480 videos, default tile width
    assert sheets["person"].read_bytes() != sheets["car"].read_bytes()  # the people drawn


def test_api_errors_are_exceptions(tmp_path):
    with pytest.raises(ValueError, match="no such file, folder or manifest"):
        tracklake.track(tmp_path / "nowhere", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(FileNotFoundError, match="not a tracklake output folder"):
        tracklake.query(tmp_path, "SELECT 1")
    with pytest.raises(ValueError, match=f"below {DETECTIONS_FLOOR}"):
        tracklake.retrack(tmp_path, tmp_path / "again", min_score=DETECTIONS_FLOOR / 2)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory, shared_dir):
    """The README's example, run as it stands in a folder where ``videos/`` and ``mot15/`` are
    the shared videos and ground truth; its folder and printed lines by label."""
    folder = tmp_path_factory.mktemp("readme-example")
    (folder / "videos").symlink_to(shared_dir / "videos")
    (folder / "mot15").symlink_to(shared_dir / "mot15")
    env = {**os.environ, "TRACKLAKE_WEIGHTS_DIR": str(shared_dir / "models")}
    result = subprocess.run(
        [sys.executable, "-c", readme_example()], cwd=folder, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    return folder, printed


@pytest.mark.slow
def test_readme_example_tracks_queries_retracks_and_scores(readme_run):
    folder, printed = readme_run
    run, retracked = folder / "runs" / "campus", folder / "runs" / "campus-ocsort"
    videos = pq.read_table(run / "videos.parquet").to_pylist()
    assert [(v["video_id"], v["status"], v["frames"]) for v in videos] == [("TUD-Campus", "ok", 71)]
    tracks = pq.read_table(run / "tracks" / "TUD-Campus.parquet")
    assert set(tracks["class_name"].to_pylist()) == {"person"}
    assert printed["tracked"] == f"True {len(pc.unique(tracks['track_id']))}"
    assert len(pc.unique(tracks["track_id"])) > 3

    summary = pq.read_table(run / "track_summary.parquet").to_pylist()
    summary.sort(key=lambda row: (-row["duration_s"], row["track_id"]))
    longest = [(row["track_id"], row["duration_s"]) for row in summary[:3]]
    assert ast.literal_eval(printed["longest"]) == longest

    again = pq.read_table(retracked / "tracks" / "TUD-Campus.parquet")
    assert int(printed["retracked"]) == len(pc.unique(again["track_id"]))
    saved_scores = pq.read_table(run / "detections" / "TUD-Campus.parquet")["score"]
    assert pc.min(again["score"]).as_py() > 0.3  # min_score=0.3 kept only those above it
    assert pc.min(saved_scores).as_py() < 0.3

    scores = pq.read_table(run / "eval.parquet").to_pylist()
    combined = next(row for row in scores if row["sequence"] == COMBINED)
    assert float(printed["HOTA"]) == combined["HOTA"] and 0 < combined["HOTA"] < 100
