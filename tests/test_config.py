"""``PipelineConfig.fingerprint``: what a resumed run compares to decide which videos to redo.

It must be the same in every process, change with every setting that changes the tracks, and
stay put for those that do not. The tables below name every field, so a new setting fails
here until someone decides which kind it is.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracklake.config import PipelineConfig
from tracklake.detection.config import DetectorConfig
from tracklake.tracking.config import TRACKER_TYPES, TrackerConfig, load_tracker_config

MODEL_SHA256 = "ab" * 32

DETECTOR_SHAPING = {
    "imgsz": 320,
    "conf": 0.5,
    "iou": 0.5,
    "classes": (0, 2),
    "max_det": 10,
    "agnostic_nms": True,
    "half": True,
}
DETECTOR_NEUTRAL = {
    "model": "/elsewhere/yolov8n.pt",  # the model's bytes count, not its path
    "device": "cpu",
    "batch": 8,
    "unsafe_load_pickle": True,
    "embeddings": "auto",  # the tracker's with_reid and model say whether embeddings are used
    "recover_suppressed": True,  # the tracker says whether it uses them
}
PIPELINE_SHAPING = {"vid_stride": 2, "scale_at": "model", "save_detections": True}
PIPELINE_NEUTRAL = {
    "decode_threads": 3,
    "decode_buffer_bytes": 1 << 20,
    "max_frame_pixels": 640 * 480,
    "stall_timeout_s": 5.0,
}
# tracklake's own tracker key: the frame rate track_buffer is counted at
TRACKER_KEYS_OF_EVERY_TYPE = {"track_buffer_fps"}
STRING_ALTERNATIVES = {"gmc_method": "orb", "model": "reid.pt"}


def field_names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def pipeline(**changes: Any) -> PipelineConfig:
    """A configuration off the defaults in a few places, with ``changes`` on top."""
    base = PipelineConfig(
        DetectorConfig(conf=0.3, classes=("person", 2)),
        TrackerConfig(tracker_type="botsort", track_buffer=45),
        vid_stride=1,
    )
    return dataclasses.replace(base, **changes)


DEFAULT_FINGERPRINT = pipeline().fingerprint(MODEL_SHA256)


def with_detector(**changes: Any) -> PipelineConfig:
    base = pipeline()
    return dataclasses.replace(base, detector=dataclasses.replace(base.detector, **changes))


def ultralytics_keys(tracker_type: str) -> set[str]:
    """The keys of Ultralytics' own YAML for ``tracker_type``: what that tracker reads."""
    package = Path(importlib.util.find_spec("ultralytics").origin).parent  # without torch
    path = package / "cfg" / "trackers" / f"{tracker_type}.yaml"
    return set(yaml.safe_load(path.read_text()))


def another_value(key: str, value: Any) -> Any:
    """A valid value for ``key`` other than ``value``."""
    if key in STRING_ALTERNATIVES:
        return STRING_ALTERNATIVES[key]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value / 2 if value else 0.1  # float settings are thresholds, weights or rates


def tracker_fingerprints(tracker_type: str, key: str) -> tuple[str, str]:
    """The fingerprints of ``tracker_type``'s defaults and of the same with ``key`` changed."""
    tracker = load_tracker_config(tracker_type)
    changed = dataclasses.replace(tracker, **{key: another_value(key, getattr(tracker, key))})
    return (
        pipeline(tracker=tracker).fingerprint(MODEL_SHA256),
        pipeline(tracker=changed).fingerprint(MODEL_SHA256),
    )


def test_every_setting_is_named_as_shaping_the_tracks_or_not():
    assert set(DETECTOR_SHAPING) | set(DETECTOR_NEUTRAL) == field_names(DetectorConfig)
    pipeline_fields = field_names(PipelineConfig) - {"detector", "tracker"}
    assert set(PIPELINE_SHAPING) | set(PIPELINE_NEUTRAL) == pipeline_fields
    read_by_some_tracker = set().union(*(ultralytics_keys(name) for name in TRACKER_TYPES))
    assert field_names(TrackerConfig) <= read_by_some_tracker | TRACKER_KEYS_OF_EVERY_TYPE


def fingerprint_in_a_new_process(config: PipelineConfig, hash_seed: str) -> str:
    code = f"import pickle, sys; print(pickle.load(sys.stdin.buffer).fingerprint({MODEL_SHA256!r}))"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}  # string hashes, so set order, differ
    done = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(config), env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


def test_the_fingerprint_is_the_same_in_other_processes():
    assert fingerprint_in_a_new_process(pipeline(), "1") == DEFAULT_FINGERPRINT
    assert fingerprint_in_a_new_process(pipeline(), "2") == DEFAULT_FINGERPRINT


def test_the_fingerprint_is_a_sha256_of_the_model_bytes_not_its_name():
    assert re.fullmatch("[0-9a-f]{64}", DEFAULT_FINGERPRINT)
    assert pipeline().fingerprint("cd" * 32) != DEFAULT_FINGERPRINT


def test_the_fingerprint_holds_the_reid_model_bytes():
    reid = pipeline(tracker=TrackerConfig.of("botsort", with_reid=True, model="reid.pt"))
    one, other = (reid.fingerprint(MODEL_SHA256, sha) for sha in ("ef" * 32, "01" * 32))
    assert one != other and DEFAULT_FINGERPRINT not in (one, other)
    assert pipeline().fingerprint(MODEL_SHA256, None) == DEFAULT_FINGERPRINT


@pytest.mark.parametrize(("key", "value"), DETECTOR_SHAPING.items())
def test_a_detector_setting_that_shapes_the_tracks_changes_it(key, value):
    assert getattr(pipeline().detector, key) != value
    assert with_detector(**{key: value}).fingerprint(MODEL_SHA256) != DEFAULT_FINGERPRINT


@pytest.mark.parametrize(("key", "value"), DETECTOR_NEUTRAL.items())
def test_a_detector_setting_that_does_not_shape_the_tracks_leaves_it(key, value):
    assert getattr(pipeline().detector, key) != value
    assert with_detector(**{key: value}).fingerprint(MODEL_SHA256) == DEFAULT_FINGERPRINT


@pytest.mark.parametrize(("key", "value"), PIPELINE_SHAPING.items())
def test_a_pipeline_setting_that_shapes_the_tracks_changes_it(key, value):
    assert getattr(pipeline(), key) != value
    assert pipeline(**{key: value}).fingerprint(MODEL_SHA256) != DEFAULT_FINGERPRINT


@pytest.mark.parametrize(("key", "value"), PIPELINE_NEUTRAL.items())
def test_a_pipeline_setting_that_does_not_shape_the_tracks_leaves_it(key, value):
    assert getattr(pipeline(), key) != value
    assert pipeline(**{key: value}).fingerprint(MODEL_SHA256) == DEFAULT_FINGERPRINT


@pytest.mark.parametrize(
    ("tracker_type", "key"),
    [
        (name, key)
        for name in TRACKER_TYPES
        for key in sorted(
            (ultralytics_keys(name) | TRACKER_KEYS_OF_EVERY_TYPE) & field_names(TrackerConfig)
        )
        if key != "tracker_type"
    ],
)
def test_a_setting_its_tracker_reads_changes_it(tracker_type, key):
    default, changed = tracker_fingerprints(tracker_type, key)
    assert changed != default


@pytest.mark.parametrize(
    ("tracker_type", "key"),
    [
        (name, key)
        for name in TRACKER_TYPES
        for key in sorted(
            field_names(TrackerConfig) - ultralytics_keys(name) - TRACKER_KEYS_OF_EVERY_TYPE
        )
    ],
)
def test_a_setting_only_other_trackers_read_leaves_it(tracker_type, key):
    default, changed = tracker_fingerprints(tracker_type, key)
    assert changed == default


def test_each_tracker_type_has_its_own_fingerprint():
    fingerprints = {
        pipeline(tracker=load_tracker_config(name)).fingerprint(MODEL_SHA256)
        for name in TRACKER_TYPES
    }
    assert len(fingerprints) == len(TRACKER_TYPES)
