"""Checkpoints are read through an allow-list: nothing a file names outside it runs, and the
checkpoints Ultralytics writes still load, as the same networks ``YOLO(path)`` builds."""

from __future__ import annotations

import pytest
import torch
from checkpoints import malicious_checkpoint, save_as_trained

from tracklake.detection import DetectorConfig, ModelError, load_detector
from tracklake.detection.checkpoint import allowed_globals, load_checkpoint
from tracklake.detection.models import load_model

CPU = torch.device("cpu")


@pytest.mark.parametrize("zip_format", [True, False], ids=["torch-save", "plain-pickle"])
def test_a_pickle_that_runs_a_command_is_refused(tmp_path, zip_format):
    marker = tmp_path / "marker"
    path = malicious_checkpoint(tmp_path / "evil.pt", marker, zip_format=zip_format)

    with pytest.raises(ModelError) as error:
        load_detector(DetectorConfig(model=str(path), device="cpu"))

    assert str(error.value) == (
        f"refusing to load {path}: it would call posix.system; "
        "pass --unsafe-load-pickle only for files you trust"
    )
    assert not marker.exists()


@pytest.mark.parametrize("zip_format", [True, False], ids=["torch-save", "plain-pickle"])
def test_the_opt_in_reads_any_pickle(tmp_path, zip_format):
    marker = tmp_path / "marker"
    path = malicious_checkpoint(tmp_path / "evil.pt", marker, zip_format=zip_format)

    config = DetectorConfig(model=str(path), device="cpu", unsafe_load_pickle=True)
    with pytest.raises(ModelError):  # it ran the command, and holds no model
        load_detector(config)

    assert marker.exists()


class _BuildsAModel:
    """Pickles as a call of ``DetectionModel`` with a model YAML whose activation is Python
    code: Ultralytics ``eval`` s it while building the model."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from ultralytics.nn.tasks import DetectionModel

        code = f"__import__('os').system('touch {self.marker}')"
        yaml = {"nc": 1, "activation": code, "backbone": [[-1, 1, "Conv", [16, 3, 2]]]}
        return DetectionModel, (yaml,)


def test_a_model_class_is_rebuilt_never_called(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "builds.pt"
    torch.save({"model": _BuildsAModel(marker)}, path)

    with pytest.raises(ModelError, match=r"it would call ultralytics\.nn\.tasks\.DetectionModel"):
        load_checkpoint(path)
    assert not marker.exists()


def test_getattr_fetches_only_forward_methods(tmp_path, yolov8n_weights):
    from ultralytics.nn.modules.head import Detect
    from ultralytics.nn.tasks import DetectionModel

    model = load_checkpoint(yolov8n_weights)["model"]
    model.model[-1].detect = Detect.forward  # as Segment and Pose heads of 2023 kept it
    torch.save({"model": model}, tmp_path / "forward.pt")
    assert load_checkpoint(tmp_path / "forward.pt")["model"].model[-1].detect is Detect.forward

    model.model[-1].detect = DetectionModel.__init__
    torch.save({"model": model}, tmp_path / "init.pt")
    with pytest.raises(ModelError, match=r"it would call getattr\(DetectionModel, '__init__'\)"):
        load_checkpoint(tmp_path / "init.pt")


def test_the_allow_list_is_the_model_classes_of_the_installed_packages():
    from ultralytics.nn.modules import C2f, Detect, Segment
    from ultralytics.nn.tasks import PoseModel

    allowed = allowed_globals()
    for cls in (C2f, Detect, Segment, PoseModel, torch.nn.Conv2d, torch.nn.SiLU):
        assert f"{cls.__module__}.{cls.__qualname__}" in allowed
    # AutoBackend loads any model file in any format; it is no part of a checkpoint.
    assert "ultralytics.nn.autobackend.AutoBackend" not in allowed
    assert not any(name.startswith(("os.", "posix.", "subprocess.")) for name in allowed)


@pytest.mark.slow
@pytest.mark.parametrize(
    "yaml",
    ["yolov8n-seg.yaml", "yolov8n-pose.yaml", "yolo11n.yaml", "yolov10n.yaml"],
)
def test_checkpoints_saved_by_ultralytics_load_as_yolo_builds_them(tmp_path, yaml):
    from ultralytics import YOLO

    torch.manual_seed(0)
    built = YOLO(yaml)
    path = save_as_trained(built.model, tmp_path / yaml.replace(".yaml", ".pt"), built.task)

    ours = load_model(path, device=CPU, half=False)
    theirs = YOLO(str(path))  # Ultralytics' own loader, unpickling without an allow-list

    assert ours.task == theirs.task
    assert ours.class_names == theirs.names
    reference = theirs.model.fuse(verbose=False).eval()
    images = torch.rand(2, 3, 256, 320)
    with torch.inference_mode():
        torch.testing.assert_close(ours.network(images), reference(images))


def test_the_real_detect_checkpoint_loads(yolov8n_weights):
    model = load_model(yolov8n_weights, device=CPU, half=False)
    assert model.task == "detect" and model.class_names[0] == "person"


def test_the_opt_in_does_not_change_the_run_fingerprint():
    from tracklake.config import PipelineConfig
    from tracklake.tracking import load_tracker_config

    tracker = load_tracker_config("bytetrack")
    safe = PipelineConfig(DetectorConfig(), tracker)
    unsafe = PipelineConfig(DetectorConfig(unsafe_load_pickle=True), tracker)
    assert safe.fingerprint("sha") == unsafe.fingerprint("sha")
