"""Finding and loading models: resolution order, clear errors, devices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tracklake.detection import DetectorConfig, ModelError, load_detector
from tracklake.detection.devices import select_device
from tracklake.detection.errors import DeviceError
from tracklake.detection.weights import WEIGHTS_DIR_ENV, resolve_weights

YOLOV8N_SHA256 = "f59b3d833e2ff32e194b5bb8e08d211dc7c5bdf144b90d2c8412c47ccfc83b36"
CPU = torch.device("cpu")


def no_download(name: str, folder: Path) -> Path:
    raise ConnectionError("network is unreachable")


@pytest.fixture
def weights_dir(tmp_path, monkeypatch, yolov8n_weights) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "yolov8n.pt").symlink_to(yolov8n_weights)
    monkeypatch.setenv(WEIGHTS_DIR_ENV, str(folder))
    return folder


def test_detector_reports_the_checkpoint(yolov8n_detector, yolov8n_weights):
    assert yolov8n_detector.task == "detect"
    assert yolov8n_detector.model_sha256 == YOLOV8N_SHA256
    assert yolov8n_detector.model_path == str(yolov8n_weights.resolve())
    assert len(yolov8n_detector.class_names) == 80
    assert yolov8n_detector.class_names[0] == "person"


def test_an_existing_path_wins(yolov8n_weights, weights_dir):
    resolved = resolve_weights(str(yolov8n_weights), ultralytics_dir=None, download=no_download)
    assert resolved == yolov8n_weights


def test_a_bare_name_is_found_in_the_weights_dir_first(weights_dir, tmp_path):
    ultralytics_dir = tmp_path / "ultralytics"
    ultralytics_dir.mkdir()
    (ultralytics_dir / "yolov8n.pt").write_bytes(b"other")

    resolved = resolve_weights("yolov8n.pt", ultralytics_dir=ultralytics_dir, download=no_download)

    assert resolved == weights_dir / "yolov8n.pt"


def test_then_in_ultralytics_weights_folder(tmp_path, monkeypatch, yolov8n_weights):
    monkeypatch.delenv(WEIGHTS_DIR_ENV, raising=False)
    (tmp_path / "yolov8n.pt").symlink_to(yolov8n_weights)

    resolved = resolve_weights("yolov8n.pt", ultralytics_dir=tmp_path, download=no_download)

    assert resolved == tmp_path / "yolov8n.pt"


def test_then_downloaded_into_ultralytics_weights_folder(
    tmp_path, monkeypatch, weights_dir, yolov8n_weights
):
    def fake_download(name: str, folder: Path) -> Path:
        (folder / name).symlink_to(yolov8n_weights)
        return folder / name

    resolved = resolve_weights("yolov8s.pt", ultralytics_dir=tmp_path, download=fake_download)

    assert resolved == resolve_weights("yolov8s.pt", ultralytics_dir=tmp_path)  # now on disk
    assert resolved == tmp_path / "yolov8s.pt"


def test_without_network_the_error_says_where_it_looked(weights_dir, tmp_path):
    with pytest.raises(ModelError) as error:
        resolve_weights("yolov8s.pt", ultralytics_dir=tmp_path, download=no_download)

    message = str(error.value)
    assert str(weights_dir / "yolov8s.pt") in message
    assert str(tmp_path / "yolov8s.pt") in message
    assert "network is unreachable" in message
    assert "--model /path/to/yolov8s.pt" in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ModelError, match=f"model file not found: {tmp_path}/nope.pt"):
        load_detector(DetectorConfig(model=str(tmp_path / "nope.pt")))


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("garbage.pt", "is not a PyTorch checkpoint: it is neither a zip archive nor a pickle"),
        ("garbage.torchscript", "is not a TorchScript file"),
        ("garbage.onnx", "is not an ONNX model"),
        ("garbage.engine", "unsupported model format '.engine'"),
    ],
)
def test_a_file_that_is_not_a_model_is_refused(name, cause, tmp_path):
    path = tmp_path / name
    path.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match=cause) as error:
        load_detector(DetectorConfig(model=str(path), device="cpu"))
    assert str(path) in str(error.value)


def test_a_classification_checkpoint_is_refused(tmp_path):
    from ultralytics import YOLO

    path = tmp_path / "yolov8n-cls.pt"
    YOLO("yolov8n-cls.yaml").save(path)

    with pytest.raises(ModelError, match=r"is a 'classify' model; tracklake needs a detect"):
        load_detector(DetectorConfig(model=str(path), device="cpu"))


def test_a_torchscript_file_without_metadata_is_refused(tmp_path):
    path = tmp_path / "plain.torchscript"
    torch.jit.script(torch.nn.Identity()).save(str(path))
    with pytest.raises(ModelError, match="has no Ultralytics metadata"):
        load_detector(DetectorConfig(model=str(path), device="cpu"))


def test_config_defaults_are_ultralytics_predict_defaults():
    from ultralytics.cfg import get_cfg

    ultralytics = get_cfg()
    ours = DetectorConfig()
    assert ours.conf == 0.25  # Ultralytics' cfg says None, which its predictor turns into 0.25
    assert not ours.half  # Ultralytics 8.4 spells it quantize=None; older versions half=False
    for name in ("imgsz", "iou", "classes", "max_det", "agnostic_nms"):
        assert getattr(ours, name) == getattr(ultralytics, name), name


def test_config_round_trips_through_json():
    config = DetectorConfig(classes=[0, 2], conf=0.4)
    assert config.classes == (0, 2)
    assert DetectorConfig(**json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize(
    "bad", [{"conf": 1.5}, {"iou": -0.1}, {"batch": 0}, {"imgsz": 0}, {"max_det": 0}, {"model": ""}]
)
def test_config_refuses_bad_values(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        DetectorConfig(**bad)


def test_devices():
    assert select_device("cpu") == CPU
    assert select_device("auto") == (torch.device("cuda:0") if torch.cuda.is_available() else CPU)
    with pytest.raises(DeviceError, match="'gpu' is not a device: use auto, cpu, cuda"):
        select_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:1", "0"])
def test_cuda_without_cuda_is_refused(name):
    with pytest.raises(DeviceError, match=f"device '{name}': no CUDA device on this machine"):
        select_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cuda_index_beyond_the_devices_is_refused():
    count = torch.cuda.device_count()
    with pytest.raises(DeviceError, match=f"this machine has {count} CUDA device"):
        select_device(f"cuda:{count}")


def test_classes_are_ids_or_names_of_the_model():
    names = {0: "person", 1: "bicycle", 2: "car"}
    assert DetectorConfig(classes=["car", "0", 1]).class_ids(names) == (2, 0, 1)
    assert DetectorConfig().class_ids(names) is None
    with pytest.raises(ValueError, match="unicorn, 7 not among the model's classes"):
        DetectorConfig(classes=["person", "unicorn", 7]).class_ids(names)


@pytest.mark.slow
def test_a_detector_keeps_only_the_classes_named(yolov8n_config, tud_frames):
    from dataclasses import replace

    detector = load_detector(replace(yolov8n_config, classes=("car", "person")))
    found = detector.detect(tud_frames["TUD-Campus"][:2])
    assert all(set(d.class_ids.tolist()) <= {0, 2} for d in found)
    assert sum(len(d) for d in found) > 0
