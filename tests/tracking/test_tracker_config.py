"""Tracker configuration: Ultralytics' YAML files unchanged, short names, clear errors."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from tracklake.tracking import TrackerConfig, load_tracker_config
from tracklake.tracking.config import TRACKER_TYPES


def ultralytics_yaml(name: str) -> Path:
    """The tracker YAML file the installed Ultralytics ships (found without importing it)."""
    package = Path(importlib.util.find_spec("ultralytics").origin).parent
    return package / "cfg" / "trackers" / f"{name}.yaml"


@pytest.mark.parametrize("name", TRACKER_TYPES)
def test_ultralytics_files_load_unchanged_and_short_names_give_their_values(name):
    path = ultralytics_yaml(name)
    from_file = load_tracker_config(path)
    values = yaml.safe_load(path.read_text())
    for key, value in values.items():
        assert getattr(from_file, key) == value, key
    assert load_tracker_config(name) == from_file
    assert load_tracker_config(f"{name}.yaml") == from_file
    assert set(from_file.to_dict()) == set(values) | {"track_buffer_fps"}


def test_to_dict_is_json_and_round_trips(tmp_path):
    config = TrackerConfig(tracker_type="ocsort", delta_t=5, track_buffer_fps=25)
    text = json.dumps(config.to_dict())
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(json.loads(text)))
    assert load_tracker_config(path) == config
    assert "gmc_method" not in config.to_dict()  # BoT-SORT's keys are no part of OC-SORT's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tracker_type: bytetrack\ntrack_bufer: 30\n", "track_bufer"),
        ("tracker_type: bytetrack\ngmc_method: none\n", "gmc_method"),
        ("tracker_type: bytetrack\ntrack_buffer: 1.5\n", "track_buffer must be int"),
        ("tracker_type: bytetrack\nfuse_score: 1\n", "fuse_score must be bool"),
        ("tracker_type: botsort\nmatch_thresh: high\n", "match_thresh must be float"),
        ("tracker_type: bytetrack\nmatch_thresh: 1.5\n", "match_thresh must lie in [0, 1]"),
        ("tracker_type: botsort\ngmc_method: sift\n", "gmc_method must be one of"),
        ("tracker_type: strongsort\n", "tracker_type must be one of"),
        ("track_buffer: 30\n", "missing key 'tracker_type'"),
        ("- 1\n", "expected a mapping"),
        ("tracker_type: tracktrack\nfuse_score: true\n", "unknown key(s)"),
        ("tracker_type: fasttrack\nocc_cover_thresh: 1.5\n", "occ_cover_thresh must lie in"),
        ("tracker_type: tracktrack\nmin_track_len: 0\n", "min_track_len must be >= 1"),
        ("tracker_type: fasttrack\nenlarge_bbox_occ: -1\n", "enlarge_bbox_occ must be >= 0"),
        ("tracker_type: ocsort\nalpha_fixed_emb: 0.5\n", "alpha_fixed_emb"),
    ],
)
def test_bad_files_name_the_key_and_the_file(tmp_path, text, message):
    path = tmp_path / "tracker.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=str(path)) as error:
        load_tracker_config(path)
    assert message in str(error.value)


def test_unknown_name():
    with pytest.raises(FileNotFoundError, match="nosuchtracker"):
        load_tracker_config("nosuchtracker")


def test_buffer_in_seconds():
    config = TrackerConfig(track_buffer=30)
    assert config.buffer_seconds == 1.0
    assert config.buffer_frames(30) == 30
    assert config.buffer_frames(25) == 25
    assert config.buffer_frames(60, vid_stride=3) == 20
    assert TrackerConfig(track_buffer=30, track_buffer_fps=15).buffer_frames(30) == 60
    with pytest.raises(ValueError, match="fps"):
        config.buffer_frames(0)


@pytest.mark.parametrize("name", TRACKER_TYPES)
def test_of_gives_the_values_of_ultralytics_file_with_changes(name):
    from_file = load_tracker_config(ultralytics_yaml(name))
    changed = TrackerConfig.of(name, track_buffer=from_file.track_buffer + 7)
    assert changed == dataclasses.replace(from_file, track_buffer=from_file.track_buffer + 7)
