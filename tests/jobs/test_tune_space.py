"""Search spaces: every registered tracker gets one, the draws are seeded and in range."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tracklake.jobs.tune_space import (
    KEY_RANGES,
    SHARED_KEYS,
    Integers,
    Uniform,
    draw_trials,
    searched_keys,
)
from tracklake.tracking import load_tracker_config
from tracklake.tracking.config import TRACKER_TYPES


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_every_registered_tracker_has_a_space_that_holds_its_defaults(tracker_type):
    defaults = load_tracker_config(tracker_type)
    keys = searched_keys(defaults)
    assert set(SHARED_KEYS) <= set(keys)
    assert set(keys) <= set(defaults.to_dict())
    for key in keys:
        assert KEY_RANGES[key].low <= getattr(defaults, key) <= KEY_RANGES[key].high, key


@pytest.mark.parametrize("tracker_type", TRACKER_TYPES)
def test_draws_are_valid_configurations_in_range(tracker_type):
    defaults = load_tracker_config(tracker_type)
    trials = draw_trials(defaults, 40, seed=3)
    assert trials[0] == defaults
    for trial in trials[1:]:
        for key in searched_keys(defaults):
            value = getattr(trial, key)
            assert type(value) is type(getattr(defaults, key)), key
            assert KEY_RANGES[key].low <= value <= KEY_RANGES[key].high, key
        unsearched = set(defaults.to_dict()) - set(searched_keys(defaults))
        assert all(getattr(trial, key) == getattr(defaults, key) for key in unsearched)


def test_the_same_seed_draws_the_same_trials_and_another_seed_others():
    defaults = load_tracker_config("ocsort")
    assert draw_trials(defaults, 10, seed=7) == draw_trials(defaults, 10, seed=7)
    assert draw_trials(defaults, 10, seed=7)[1:] != draw_trials(defaults, 10, seed=8)[1:]
    assert draw_trials(defaults, 1, seed=7) == [defaults]
    with pytest.raises(ValueError, match="trials must be >= 1"):
        draw_trials(defaults, 0, seed=7)


def test_appearance_keys_are_searched_only_with_appearance_on():
    botsort = load_tracker_config("botsort")
    assert "appearance_thresh" not in searched_keys(botsort)
    with_reid = dataclasses.replace(botsort, with_reid=True)
    assert searched_keys(with_reid) == (*searched_keys(botsort), "appearance_thresh")
    deepocsort = load_tracker_config("deepocsort")
    assert "alpha_fixed_emb" not in searched_keys(deepocsort)  # it weighs embeddings only
    assert searched_keys(dataclasses.replace(deepocsort, with_reid=True))[-2:] == (
        "appearance_thresh", "alpha_fixed_emb",
    )  # fmt: skip


def test_a_buffer_is_drawn_evenly_in_log_scale():
    buffers = np.array(
        [Integers(10, 240, log=True).draw(np.random.default_rng(i)) for i in range(4000)]
    )
    assert buffers.min() >= 10 and buffers.max() <= 240
    # as many draws below the geometric middle (49) as above it
    assert abs(np.mean(buffers < 49) - 0.5) < 0.05
    assert Uniform(0.2, 0.3).draw(np.random.default_rng(0)) in np.round(
        np.arange(0.2, 0.31, 0.01), 6
    )
