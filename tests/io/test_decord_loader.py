"""decord is imported without loading the nvidia-* libraries that break CPU torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOADED_NVBLAS = "print('libnvblas' in open('/proc/self/maps').read())"


def loads_nvblas(import_statement: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", f"{import_statement}; {LOADED_NVBLAS}"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return result.stdout.strip() == "True"


def test_plain_import_preloads_nvblas_when_torch_is_a_cuda_build():
    """The hazard the loader exists for: this machine's torch brings nvidia-* packages."""
    pytest.importorskip("nvidia", reason="no nvidia-* packages: the hazard cannot arise")
    assert loads_nvblas("import decord")


def test_import_decord_leaves_nvblas_out():
    statement = "from tracklake.io.decord_loader import import_decord; import_decord()"
    assert not loads_nvblas(statement)


def test_decoding_then_cpu_detection_works_in_one_process(shared_videos, yolov8n_weights):
    script = f"""
from tracklake.io.video import VideoDecoder
frames = next(VideoDecoder({str(shared_videos / "TUD-Campus.mp4")!r}).batches(2)).frames
from ultralytics import YOLO
YOLO({str(yolov8n_weights)!r}).predict(frames[0][..., ::-1], verbose=False, device="cpu")
from tracklake.detection import DetectorConfig, load_detector
detector = load_detector(DetectorConfig(model={str(yolov8n_weights)!r}, device="cpu"))
print(sum(len(d) for d in detector.detect(frames)))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NVBLAS" not in result.stdout + result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) >= 8  # people in two frames
