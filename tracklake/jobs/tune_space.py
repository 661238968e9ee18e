"""What ``tracklake tune`` searches, per tracker, and the seeded draw of its trials.

A tracker's search space is the keys of ``SEARCHED_KEYS[tracker_type]`` (the keys every
tracker shares when it has no entry), each drawn from its range in ``KEY_RANGES``; keys the
tracker's configuration does not have are left out, so a tracker added to ``tracking/`` is
tuned on the shared keys until it gets an entry of its own. Ranges hold every registered
tracker's default. The draw depends only on the seed: the same seed gives the same trials.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracklake.tracking import TrackerConfig


@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from ``[low, high]``, rounded to ``step``."""

    low: float
    high: float
    step: float = 0.01

    def draw(self, rng: np.random.Generator) -> float:
        return round(round(rng.uniform(self.low, self.high) / self.step) * self.step, 6)


@dataclass(frozen=True)
class Integers:
    """An int drawn from ``[low, high]``, uniformly, or uniformly in log scale with ``log``
    (for lengths of time, where 10 -> 20 frames matters as much as 100 -> 200)."""

    low: int
    high: int
    log: bool = False

    def draw(self, rng: np.random.Generator) -> int:
        if not self.log:
            return int(rng.integers(self.low, self.high + 1))
        return round(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


KEY_RANGES: dict[str, Uniform | Integers] = {
    "track_high_thresh": Uniform(0.2, 0.7),
    "track_low_thresh": Uniform(0.05, 0.3),
    "new_track_thresh": Uniform(0.2, 0.8),
    "match_thresh": Uniform(0.5, 0.95),
    # frames at track_buffer_fps (30): from a third of a second to 8 seconds
    "track_buffer": Integers(10, 240, log=True),
    "proximity_thresh": Uniform(0.2, 0.8),
    "appearance_thresh": Uniform(0.5, 0.95),
    "delta_t": Integers(1, 5),
    "inertia": Uniform(0.05, 0.5),
    "alpha_fixed_emb": Uniform(0.8, 0.99),
    "lost_match_thr": Uniform(0.0, 0.95),
    "tai_thr": Uniform(0.3, 0.8),
    "min_track_len": Integers(1, 5),
    "reduce_step": Uniform(0.02, 0.1),
    "reid_weight": Uniform(0.0, 1.0),
    "occ_reappear_window": Integers(10, 120, log=True),
    "dampen_motion_occ": Uniform(0.0, 1.0),
    "init_iou_suppress": Uniform(0.5, 1.0),
}
SHARED_KEYS = (
    "track_high_thresh",
    "track_low_thresh",
    "new_track_thresh",
    "match_thresh",
    "track_buffer",
)
# One entry per tracker with keys of its own; appearance keys join only with ``with_reid``.
SEARCHED_KEYS = {
    "bytetrack": SHARED_KEYS,
    "botsort": (*SHARED_KEYS, "proximity_thresh"),
    "ocsort": (*SHARED_KEYS, "inertia", "delta_t"),
    "deepocsort": (*SHARED_KEYS, "inertia", "delta_t"),
    "tracktrack": (*SHARED_KEYS, "lost_match_thr", "tai_thr", "min_track_len", "reduce_step"),
    "fasttrack": (*SHARED_KEYS, "occ_reappear_window", "dampen_motion_occ", "init_iou_suppress"),
}
APPEARANCE_KEYS = {
    "botsort": ("appearance_thresh",),
    "deepocsort": ("appearance_thresh", "alpha_fixed_emb"),  # it weighs embeddings only
    "tracktrack": ("reid_weight",),
}


def searched_keys(base: TrackerConfig) -> tuple[str, ...]:
    """The keys tuned for ``base``'s tracker, in ``SEARCHED_KEYS``' order."""
    keys = SEARCHED_KEYS.get(base.tracker_type, SHARED_KEYS)
    if base.uses_appearance:
        keys = (*keys, *APPEARANCE_KEYS.get(base.tracker_type, ()))
    own = base.to_dict()
    return tuple(key for key in keys if key in own)


def draw_trials(base: TrackerConfig, trials: int, seed: int) -> list[TrackerConfig]:
    """``trials`` configurations: ``base`` first, then ``trials - 1`` drawn with ``seed``,
    each ``base`` with every searched key drawn from its range."""
    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    rng = np.random.default_rng(seed)
    keys = searched_keys(base)
    drawn = [dataclasses.replace(base, **_draw(keys, rng)) for _ in range(trials - 1)]
    return [base, *drawn]


def _draw(keys: tuple[str, ...], rng: np.random.Generator) -> dict[str, Any]:
    """A value for each of ``keys`` drawn from its range: the changes of one trial."""
    return {key: KEY_RANGES[key].draw(rng) for key in keys}
