"""Choosing among tuning trials by cross-validation over sequences, and what it predicts.

The choice of a trial is a fit to the sequences it is made on; its score there overstates what
it gives elsewhere. Leaving one sequence (fold) out at a time, the trial chosen on the other
folds is scored on the one left out; the mean of those scores is the held-out estimate of
what tuning gives on footage it never saw, and its difference from the defaults' mean score
is the held-out gain. The same rule that is cross-validated chooses the final trial on every
fold, and the defaults stay when the held-out gain is not positive.

The rule is robust rather than greedy: a trial's gain over the defaults is taken on each fold,
and the trial whose worst fold gains most is chosen (ties by mean gain, then the earlier
trial). The defaults gain 0 everywhere, so a trial is chosen only if it is at least as good as
the defaults on every fold it is chosen on; a trial that wins big on one sequence by losing on
another is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULTS_TRIAL = 0


def choose_trial(fold_scores: np.ndarray) -> int:
    """The trial with the best worst-fold gain over the defaults (row ``DEFAULTS_TRIAL``).

    Args:
        fold_scores: ``(trials, folds)`` float64, each trial's score on each fold.

    Returns:
        the chosen row; ties by the mean gain, then the lower row.
    """
    gains = fold_scores - fold_scores[DEFAULTS_TRIAL]
    rows = np.arange(len(gains))
    return int(np.lexsort((rows, -gains.mean(axis=1), -gains.min(axis=1)))[0])


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-fold-out cross-validation of ``choose_trial``.

    Attributes:
        folds: the fold names (sequences, or parts of one sequence), ``F`` of them.
        fold_scores: ``(T, F)`` float64, each trial's score on each fold; row 0 the defaults.
        chosen_without: ``(F,)`` int, for each fold the trial chosen on the other folds.
        chosen: the trial to use: chosen on every fold when the held-out gain is positive,
            else ``DEFAULTS_TRIAL``.
    """

    folds: tuple[str, ...]
    fold_scores: np.ndarray
    chosen_without: np.ndarray
    chosen: int

    @property
    def held_out_scores(self) -> np.ndarray:
        """``(F,)`` float64: each fold's score by the trial chosen without it."""
        return self.fold_scores[self.chosen_without, np.arange(len(self.folds))]

    @property
    def held_out_score(self) -> float:
        """The held-out estimate: the mean of ``held_out_scores``."""
        return float(self.held_out_scores.mean())

    @property
    def default_score(self) -> float:
        """The defaults' mean score over the folds."""
        return float(self.fold_scores[DEFAULTS_TRIAL].mean())

    @property
    def held_out_gain(self) -> float:
        """``held_out_score - default_score``."""
        return self.held_out_score - self.default_score

    @property
    def held_out_gains(self) -> np.ndarray:
        """``(F,)`` float64: each fold's held-out score less the defaults' there; their spread
        says how far the mean (``held_out_gain``) can be from the gain on other footage."""
        return self.held_out_scores - self.fold_scores[DEFAULTS_TRIAL]

    @property
    def kept_defaults(self) -> bool:
        return self.chosen == DEFAULTS_TRIAL

    @property
    def expected_score(self) -> float:
        """What the trial in use is expected to score on new footage: the held-out estimate
        when tuning is used, the defaults' score when they are kept."""
        return self.default_score if self.kept_defaults else self.held_out_score

    def held_out_by_trial(self) -> list[tuple[float | None, tuple[str, ...]]]:
        """For each trial: its mean score on the folds it was chosen without, and those
        folds; ``(None, ())`` for a trial never chosen."""
        rows = []
        for trial in range(len(self.fold_scores)):
            folds = np.flatnonzero(self.chosen_without == trial)
            score = float(self.fold_scores[trial, folds].mean()) if len(folds) else None
            rows.append((score, tuple(self.folds[i] for i in folds)))
        return rows


def cross_validate(fold_scores: np.ndarray, folds: tuple[str, ...]) -> CrossValidation:
    """Cross-validate ``choose_trial`` over ``folds`` (at least two); see the module docstring.

    Args:
        fold_scores: ``(T, F)`` float64, each trial's score on each fold; row 0 the defaults.
        folds: the ``F`` fold names.
    """
    fold_scores = np.asarray(fold_scores, dtype=np.float64)
    if fold_scores.ndim != 2 or fold_scores.shape[1] != len(folds) or len(folds) < 2:
        raise ValueError(f"need (trials, folds >= 2) scores for {folds}, got {fold_scores.shape}")
    every = np.arange(len(folds))
    chosen_without = np.array(
        [choose_trial(fold_scores[:, every != fold]) for fold in every], dtype=np.int64
    )
    partial = CrossValidation(folds, fold_scores, chosen_without, DEFAULTS_TRIAL)
    chosen = choose_trial(fold_scores) if partial.held_out_gain > 0 else DEFAULTS_TRIAL
    return CrossValidation(folds, fold_scores, chosen_without, chosen)
