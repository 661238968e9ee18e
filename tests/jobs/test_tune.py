"""``tracklake tune``: Ray Tune over saved detections, a YAML that scores at least the defaults."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from cli_runs import tracklake

from tracklake.eval.run_eval import score_run
from tracklake.eval.scores import COMBINED
from tracklake.jobs.retrack import retrack_run
from tracklake.jobs.tune import SEARCH_SPACES
from tracklake.tracking import load_tracker_config

pytestmark = pytest.mark.slow


def combined_hota(out_dir, dataset) -> float:
    rows = score_run(out_dir, dataset).table.to_pylist()
    return next(row["HOTA"] for row in rows if row["sequence"] == COMBINED)


def test_tuned_tracker_scores_at_least_the_defaults(mot15_run, mot15_dataset, tmp_path):
    tuned = tmp_path / "tuned"
    result = tracklake("tune", "--gt", str(mot15_dataset), "--detections", str(mot15_run),
                       "--tracker", "bytetrack", "--trials", "4", "--seed", "1",
                       "-o", str(tuned))  # fmt: skip
    assert result.returncode == 0, result.stderr
    trials = pq.read_table(tuned / "trials.parquet").to_pylist()
    assert len(trials) == 4
    assert trials[0]["HOTA"] == max(trial["HOTA"] for trial in trials)
    defaults = load_tracker_config("bytetrack")
    searched = list(SEARCH_SPACES["bytetrack"])
    default_trial = [t for t in trials if all(t[k] == getattr(defaults, k) for k in searched)]
    assert len(default_trial) == 1
    assert result.stdout.splitlines()[0].split()[0] == searched[0]

    config = load_tracker_config(tuned / "bytetrack-tuned.yaml")
    assert config.track_buffer == trials[0]["track_buffer"]
    retrack_run(mot15_run, tmp_path / "with-tuned", config)
    retrack_run(mot15_run, tmp_path / "with-defaults", defaults)
    tuned_hota = combined_hota(tmp_path / "with-tuned", mot15_dataset)
    default_hota = combined_hota(tmp_path / "with-defaults", mot15_dataset)
    # the YAML reproduces the best trial, and the defaults' trial is the default run
    assert tuned_hota == pytest.approx(trials[0]["HOTA"], abs=1e-9)
    assert default_hota == pytest.approx(default_trial[0]["HOTA"], abs=1e-9)
    assert tuned_hota >= default_hota


def test_tune_refuses_a_dataset_without_saved_detections(mot15_dataset, tmp_path):
    result = tracklake("tune", "--gt", str(mot15_dataset), "--detections", str(tmp_path))
    assert result.returncode == 2 and "no saved detections for" in result.stderr
