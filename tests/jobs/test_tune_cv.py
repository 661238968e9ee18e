"""Cross-validation of the choice among tuning trials, on score matrices worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tracklake.jobs.tune_cv import DEFAULTS_TRIAL, choose_trial, cross_validate

FOLDS = ("a", "b", "c")


def test_the_choice_is_the_best_worst_fold_gain_not_the_best_mean():
    scores = np.array(
        [
            [50.0, 50.0, 50.0],  # defaults
            [70.0, 70.0, 45.0],  # best mean (61.7), but loses 5 on fold c
            [52.0, 53.0, 51.0],  # gains on every fold: worst gain +1
            [51.0, 60.0, 51.0],  # worst gain +1 too, mean gain higher: wins the tie
        ]
    )
    assert choose_trial(scores) == 3
    assert choose_trial(scores[:2]) == DEFAULTS_TRIAL


def test_equal_trials_keep_the_earlier_so_the_defaults_win_ties():
    scores = np.array([[50.0, 60.0], [50.0, 60.0]])
    assert choose_trial(scores) == DEFAULTS_TRIAL


def test_held_out_scores_are_those_of_the_trial_chosen_without_the_fold():
    scores = np.array(
        [
            [50.0, 40.0, 60.0],  # defaults: mean 50
            [55.0, 45.0, 58.0],  # +5 +5 -2
            [53.0, 41.0, 62.0],  # +3 +1 +2
        ]
    )
    cv = cross_validate(scores, FOLDS)
    # without a: b, c gains are (+5, -2) and (+1, +2): trial 2 (worst +1); a scores 53
    # without b: (+5, -2) and (+3, +2): trial 2; b scores 41
    # without c: (+5, +5) and (+3, +1): trial 1; c scores 58
    assert cv.chosen_without.tolist() == [2, 2, 1]
    assert cv.held_out_scores.tolist() == [53.0, 41.0, 58.0]
    assert cv.held_out_score == pytest.approx(152 / 3)
    assert cv.default_score == pytest.approx(50.0)
    assert cv.held_out_gain == pytest.approx(2 / 3)
    assert cv.held_out_gains.tolist() == [3.0, 1.0, -2.0]  # its spread: -2 to +3 by fold
    assert cv.chosen == 2 and not cv.kept_defaults
    assert cv.expected_score == pytest.approx(152 / 3)
    assert cv.held_out_by_trial() == [(None, ()), (58.0, ("c",)), (47.0, ("a", "b"))]


def test_settings_that_win_only_where_they_were_chosen_keep_the_defaults():
    # each trial is tuned to one fold and loses on the others: picked by its mean on the
    # other folds, each would lose held out; the rule picks none, and the defaults stay
    scores = np.array(
        [
            [50.0, 50.0, 50.0],
            [65.0, 49.0, 49.0],
            [49.0, 58.0, 49.0],
            [49.0, 49.0, 57.0],
        ]
    )
    cv = cross_validate(scores, FOLDS)
    assert cv.chosen_without.tolist() == [DEFAULTS_TRIAL] * 3
    assert cv.held_out_gain == 0.0
    assert cv.chosen == DEFAULTS_TRIAL and cv.kept_defaults
    assert cv.expected_score == cv.default_score == 50.0


def test_a_trial_that_gains_on_every_fold_is_found_held_out():
    rng = np.random.default_rng(0)
    scores = 50.0 + rng.normal(0.0, 1.0, (20, 4))
    scores[0] = 50.0
    scores[7] = scores.max() + 3.0  # better than anything, everywhere
    cv = cross_validate(scores, ("a", "b", "c", "d"))
    assert cv.chosen_without.tolist() == [7, 7, 7, 7]
    assert cv.chosen == 7
    assert cv.held_out_gain == pytest.approx(scores[7].mean() - 50.0)


def test_cross_validation_needs_two_folds_and_one_score_per_fold():
    with pytest.raises(ValueError, match="folds >= 2"):
        cross_validate(np.zeros((3, 1)), ("a",))
    with pytest.raises(ValueError, match="folds >= 2"):
        cross_validate(np.zeros((3, 2)), FOLDS)
