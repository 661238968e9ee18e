"""A run that cannot work stops before it starts: a bad model (or the tracker's ReID model),
device, class list, output folder or source is exit 2 with one line naming it and the cause;
Ray is never started and nothing is written."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
import torch
import yaml
from checkpoints import malicious_checkpoint
from click.testing import CliRunner, Result

from tracklake.cli import main
from tracklake.tracking import TrackerConfig

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


@pytest.fixture(autouse=True)
def ray_must_not_start(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("Ray was started")

    assert not ray.is_initialized()
    monkeypatch.setattr(ray, "init", refuse)


@pytest.fixture
def video(shared_videos) -> str:
    return str(shared_videos / "TUD-Campus.mp4")


def track(*args: str) -> Result:
    return CliRunner().invoke(main, ["track", *args, "--no-progress"])


def assert_refused(result: Result, out: Path, cause: str) -> None:
    """Exit 2, one line naming the cause, no traceback, and nothing written to ``out``."""
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("Error: ") and cause in result.stderr, result.stderr
    assert not (out / "run.json").exists() and not (out / "tracks").exists()


def reid_tracker(folder: Path, model: str) -> str:
    """A BoT-SORT YAML in ``folder`` that matches on appearance from ``model``."""
    config = TrackerConfig(tracker_type="botsort", gmc_method="none", with_reid=True, model=model)
    path = folder / "botsort-reid.yaml"
    path.write_text(yaml.safe_dump(config.to_dict()))
    return str(path)


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """A read-only file system mounted on ``folder``: permissions do not stop root (CI runs
    as root), a read-only mount does."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize(
    ("name", "content", "cause"),
    [
        ("model.pt", b"not a model\n", "is not a PyTorch checkpoint: it is neither a zip archive"),
        ("cut.pt", None, "is not a PyTorch checkpoint: its zip archive is cut short"),
    ],
)
def test_a_file_that_is_no_checkpoint(tmp_path, video, yolov8n_weights, name, content, cause):
    model = tmp_path / name
    data = yolov8n_weights.read_bytes()
    model.write_bytes(content if content is not None else data[: len(data) // 2])
    out = tmp_path / "out"
    assert_refused(track(video, "-o", str(out), "--model", str(model)), out, f"{model} {cause}")
    assert not out.exists()


@pytest.mark.parametrize("zip_format", [True, False], ids=["torch-save", "plain-pickle"])
def test_a_malicious_checkpoint_never_runs(tmp_path, video, zip_format):
    marker = tmp_path / "marker"
    model = malicious_checkpoint(tmp_path / "evil.pt", marker, zip_format=zip_format)
    out = tmp_path / "out"

    result = track(video, "-o", str(out), "--model", str(model), "--classes", "person")

    assert_refused(result, out, f"refusing to load {model}: it would call posix.system")
    assert "--unsafe-load-pickle only for files you trust" in result.stderr
    assert not marker.exists()


def test_the_opt_in_says_the_risk_and_reads_the_pickle(tmp_path, video):
    marker = tmp_path / "marker"
    model = malicious_checkpoint(tmp_path / "evil.pt", marker, zip_format=True)
    out = tmp_path / "out"

    result = track(video, "-o", str(out), "--model", str(model), "--unsafe-load-pickle")

    assert result.exit_code == 2
    warning, error = result.stderr.splitlines()
    assert (
        warning.startswith("Warning: --unsafe-load-pickle: ")
        and "any code inside it runs" in warning
    )
    assert f"{model} is not an Ultralytics checkpoint: it holds no YOLO model" in error
    assert marker.exists()  # read in the driver's checking process: that is the opt-in


@NO_CUDA
@pytest.mark.parametrize(
    "device", [["--device", "cuda"], ["--device", "cuda:1"], ["--half", "--device", "cuda"]]
)
def test_cuda_on_a_machine_without_it(tmp_path, video, yolov8n_weights, device):
    out = tmp_path / "out"
    result = track(video, "-o", str(out), "--model", str(yolov8n_weights), *device)
    assert_refused(result, out, f"device '{device[-1]}': no CUDA device on this machine")


def test_a_class_the_model_lacks(tmp_path, video, yolov8n_weights):
    out = tmp_path / "out"
    result = track(
        video, "-o", str(out), "--model", str(yolov8n_weights), "--classes", "car,unicorn"
    )
    assert_refused(result, out, "unicorn not among the model's classes (0 person, 1 bicycle")


@pytest.mark.parametrize("inside", [False, True], ids=["the-mount", "a-folder-to-create"])
def test_a_read_only_output_folder(tmp_path, video, yolov8n_weights, inside):
    with read_only_folder(tmp_path / "ro") as folder:
        out = folder / "out" if inside else folder
        result = track(video, "-o", str(out), "--model", str(yolov8n_weights))
        assert_refused(result, out, f"output folder {out}: cannot write in {folder}: Read-only")


def test_an_output_folder_that_is_a_file(tmp_path, video, yolov8n_weights):
    out = tmp_path / "out"
    out.write_text("")
    result = track(video, "-o", str(out), "--model", str(yolov8n_weights))
    assert_refused(result, out.parent, f"output folder {out}: not a folder")


@pytest.mark.parametrize("kind", ["empty-folder", "folder-named-like-a-video", "empty-manifest"])
def test_a_source_without_videos(tmp_path, yolov8n_weights, kind):
    source = tmp_path / {"empty-folder": "videos", "folder-named-like-a-video": "x.mp4"}.get(
        kind, "videos.txt"
    )
    if kind == "empty-manifest":
        source.write_text("# nothing yet\n")
    else:
        source.mkdir()
    out = tmp_path / "out"
    result = track(str(source), "-o", str(out), "--model", str(yolov8n_weights))
    assert_refused(result, out, f"{source}: no videos found there")
    assert not out.exists()


def test_the_command_fails_fast_and_the_driver_never_loads_torch(tmp_path, video):
    """The real console script: the error comes before Ray starts, in seconds, and the
    checking happens in a child process: the driver never imports torch."""
    model = malicious_checkpoint(tmp_path / "evil.pt", tmp_path / "marker", zip_format=True)
    out = tmp_path / "out"
    probe = (
        "import sys; from tracklake.cli import main\n"
        "try:\n    main()\nfinally:\n    print('torch' in sys.modules, file=sys.stderr)"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", probe, "track", video, "-o", str(out), "--model", str(model)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    elapsed = time.monotonic() - started

    assert result.returncode == 2
    error, torch_loaded = result.stderr.splitlines()
    assert error.startswith(f"Error: refusing to load {model}")
    assert torch_loaded == "False"
    assert not out.exists()
    assert elapsed < 60, elapsed


def test_a_missing_reid_model(tmp_path, video, yolov8n_weights):
    reid = tmp_path / "models" / "reid.pt"
    out = tmp_path / "out"
    result = track(video, "-o", str(out), "--model", str(yolov8n_weights),
                   "--tracker", reid_tracker(tmp_path, str(reid)))  # fmt: skip
    assert_refused(result, out, f"the tracker's ReID model: model file not found: {reid}")


def test_a_malicious_reid_model_never_runs(tmp_path, video, yolov8n_weights):
    marker = tmp_path / "marker"
    reid = malicious_checkpoint(tmp_path / "reid.pt", marker, zip_format=True)
    out = tmp_path / "out"

    result = track(video, "-o", str(out), "--model", str(yolov8n_weights),
                   "--tracker", reid_tracker(tmp_path, str(reid)))  # fmt: skip

    assert_refused(
        result, out, f"the tracker's ReID model: refusing to load {reid}: it would call posix."
    )
    assert not marker.exists()


def test_a_reid_model_that_is_no_checkpoint(tmp_path, video, yolov8n_weights):
    reid = tmp_path / "reid.pt"
    reid.write_text("not a model\n")
    out = tmp_path / "out"
    result = track(video, "-o", str(out), "--model", str(yolov8n_weights),
                   "--tracker", reid_tracker(tmp_path, str(reid)))  # fmt: skip
    assert_refused(result, out, f"{reid} is not a PyTorch checkpoint")


@pytest.mark.slow
def test_auto_embeddings_need_a_pt_detector(tmp_path, video, yolov8n_weights):
    from ultralytics import YOLO

    checkpoint = shutil.copy(yolov8n_weights, tmp_path / "yolov8n.pt")
    export = YOLO(checkpoint).export(format="onnx", dynamic=True, verbose=False)
    out = tmp_path / "out"

    result = track(video, "-o", str(out), "--model", export,
                   "--tracker", reid_tracker(tmp_path, "auto"))  # fmt: skip

    assert_refused(result, out, f"{export}: with_reid's model 'auto' takes embeddings from the")
